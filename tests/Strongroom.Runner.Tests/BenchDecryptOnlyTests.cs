using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Strongroom.Runner.Extensions;

namespace Strongroom.Runner.Tests;

/// <summary>
/// The runner's decrypt-only benchmark mode starts only where the bench runs it (Development, SQLite).
/// What it does to a job (opened through keyservice, then CANCELLED without running) is exercised by
/// the bench smoke in scripts/test.sh, against the real stack.
/// </summary>
public sealed class BenchDecryptOnlyTests
{
    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "Strongroom.Runner";

        public string ContentRootPath { get; set; } = "/";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    [Fact]
    public void The_mode_is_off_by_default_in_every_environment()
    {
        Assert.False(new RunnerOptions().BenchDecryptOnly);
        Assert.False(RunnerExtensions.CheckBenchDecryptOnly(new RunnerOptions(), new Environment("Production")));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Asking_for_it_outside_development_stops_the_runner_from_starting(string environment)
    {
        var options = new RunnerOptions { BenchDecryptOnly = true };

        var ex = Assert.Throws<InvalidOperationException>(() => RunnerExtensions.CheckBenchDecryptOnly(options, new Environment(environment)));

        Assert.Contains($"refused in the {environment} environment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_it_on_a_shared_postgres_queue_stops_the_runner_from_starting()
    {
        var options = new RunnerOptions { BenchDecryptOnly = true, Backend = "Postgres" };

        Assert.Throws<InvalidOperationException>(() => RunnerExtensions.CheckBenchDecryptOnly(options, new Environment("Development")));
    }

    [Fact]
    public void The_bench_stack_a_development_runner_on_sqlite_may_turn_it_on() =>
        Assert.True(RunnerExtensions.CheckBenchDecryptOnly(new RunnerOptions { BenchDecryptOnly = true }, new Environment("Development")));
}
