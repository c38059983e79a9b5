using System.Security.Cryptography;
using Strongroom.Hosting;
using Strongroom.Runner;
using Strongroom.Runner.Extensions;
using Strongroom.Sandbox;

namespace Strongroom.Bench.Runner;

/// <summary>
/// The shipped runner; with <c>Bench:DecryptOnly=true</c> its sandbox is replaced by one that runs
/// nothing: each leased job is still opened through keyservice with all of keyservice's checks,
/// the plaintext zeroed, and the job ends CANCELLED with <see cref="DecryptOnlySandbox.Reason"/>
/// without a sandbox, signature or stored result. That tells a submitter whether its request
/// decrypted, so this host refuses to run anywhere but the bench's Development stack on SQLite.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddStrongroomHosting();
        builder.AddRunner();
        if (builder.Configuration.GetValue<bool>("Bench:DecryptOnly"))
        {
            var backend = builder.Configuration["Runner:Backend"] ?? new RunnerOptions().Backend;
            if (!builder.Environment.IsDevelopment() || !backend.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Bench:DecryptOnly is for the bench's stack only: refused in the {builder.Environment.EnvironmentName} environment with the {backend} queue (needs Development and Sqlite)");
            }

            builder.Services.AddSingleton<IJobSandbox, DecryptOnlySandbox>();
        }

        var app = builder.Build();
        app.MapStrongroomDefaults();
        app.MapRunner();
        app.Run();
    }
}

/// <summary>Runs nothing: zeroes the opened input and reports the run cancelled with <see cref="Reason"/>.</summary>
public sealed class DecryptOnlySandbox : IJobSandbox
{
    /// <summary>The reason a decrypt-only job ends with; bench/Strongroom.Bench waits for it.</summary>
    public const string Reason = "benchmark decrypt-only mode: the request was decrypted and not run";

    public Task<SandboxResult> RunAsync(JobDefinition job, string jobId, ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default)
    {
        // The runner zeroes its own copy too; this host keeps none.
        _ = input.Length;
        return Task.FromResult(new SandboxResult(0, [], false, false, Cancelled: true, [], TimeSpan.Zero) { CancelReason = Reason });
    }
}
