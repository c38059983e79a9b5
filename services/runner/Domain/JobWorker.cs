using Strongroom.Runner.Queue;
using Strongroom.Sandbox;

namespace Strongroom.Runner.Domain;

/// <summary>
/// Leases jobs and runs them, <see cref="RunnerOptions.Workers"/> at a time. Without a working
/// bubblewrap it runs nothing (and Submit refuses), never falling back to unsandboxed execution.
/// </summary>
public sealed partial class JobWorker(
    RunnerOptions options,
    SqlJobQueue queue,
    JobProcessor processor,
    JobSignal signal,
    RunnerReadiness readiness,
    TimeProvider time,
    ILogger<JobWorker> logger) : BackgroundService
{
    private readonly string _replica = string.IsNullOrEmpty(options.ReplicaId) ? $"{Environment.MachineName}/{Environment.ProcessId}" : options.ReplicaId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!readiness.CanRunJobs)
        {
            LogNoSandbox(logger, readiness.Reason);
            return;
        }

        if (options.Backend.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            // One runner process owns a SQLite queue: whatever was running belonged to a process that is gone.
            await queue.ExpireLeasesAsync(stoppingToken);
        }

        var loops = Enumerable.Range(0, options.Workers).Select(i => LoopAsync($"{_replica}#{i}", stoppingToken)).ToArray();
        await Task.WhenAll(loops);
    }

    private async Task LoopAsync(string worker, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Taken before looking, so a job accepted while this worker finds none still wakes it.
                var workArrived = signal.WorkArrived;
                var now = time.GetUtcNow();
                var lease = await queue.LeaseAsync(worker, now.ToUnixTimeSeconds(), (now + options.LeaseDuration).ToUnixTimeSeconds(), options.MaxAttempts, stoppingToken);
                if (lease is null)
                {
                    await JobSignal.WaitAsync(workArrived, options.PollInterval, stoppingToken);
                    continue;
                }

                await processor.ProcessAsync(lease, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A worker loop survives any one job's failure; the job's lease expires and it is retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogWorkerError(logger, ex.GetType().Name);
                await Task.Delay(options.PollInterval, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the runner will not run jobs: {Reason}")]
    private static partial void LogNoSandbox(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "a job failed with {ExceptionType}; its lease will expire and it will be retried")]
    private static partial void LogWorkerError(ILogger logger, string exceptionType);
}

/// <summary>Whether this runner can sandbox jobs, decided once at start by really running bubblewrap.</summary>
public sealed class RunnerReadiness
{
    public RunnerReadiness(RunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CanRunJobs = BubblewrapSandbox.IsAvailable(options.BubblewrapPath, out var reason);
        Reason = reason;
    }

    public bool CanRunJobs { get; }

    public string Reason { get; }
}
