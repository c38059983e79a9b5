using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Strongroom.Runner.Extensions;
using Strongroom.Sandbox;

namespace Strongroom.Runner.Tests;

/// <summary>
/// The shipped runner executes jobs only in bubblewrap; no setting skips execution. A host that
/// composes the runner in code (the bench's decrypt-only host) may register another sandbox.
/// </summary>
public sealed class JobSandboxCompositionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("strongroom-sandbox-seam-").FullName;

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private sealed class NothingRuns : IJobSandbox
    {
        public Task<SandboxResult> RunAsync(JobDefinition job, string jobId, ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default) =>
            Task.FromResult(new SandboxResult(0, [], false, false, Cancelled: true, [], TimeSpan.Zero) { CancelReason = "nothing runs" });
    }

    private WebApplicationBuilder Runner(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = _root });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["Runner:WorkRoot"] = Path.Combine(_root, "work"), ["Runner:SqlitePath"] = Path.Combine(_root, "queue.db") }
                .Concat(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))));
        builder.AddRunner();
        return builder;
    }

    [Fact]
    public void The_composed_runner_sandboxes_jobs_in_bubblewrap_even_with_the_old_decrypt_only_setting()
    {
        using var provider = Runner(("Runner:BenchDecryptOnly", "true"), ("Bench:DecryptOnly", "true")).Services.BuildServiceProvider();

        Assert.IsType<BubblewrapSandbox>(provider.GetRequiredService<IJobSandbox>());
    }

    [Fact]
    public void A_host_composing_the_runner_in_code_can_replace_the_sandbox()
    {
        var builder = Runner();
        builder.Services.AddSingleton<IJobSandbox, NothingRuns>();
        using var provider = builder.Services.BuildServiceProvider();

        Assert.IsType<NothingRuns>(provider.GetRequiredService<IJobSandbox>());
    }
}
