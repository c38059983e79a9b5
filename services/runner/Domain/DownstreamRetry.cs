using Grpc.Core;

namespace Strongroom.Runner.Domain;

/// <summary>
/// How long the runner keeps calling a dependency that did not answer: at most
/// <paramref name="MaxAttempts"/> calls within <paramref name="Window"/>, waiting
/// <paramref name="Step"/> × attempt (capped at <paramref name="MaxDelay"/>) between them.
/// </summary>
public sealed record RetrySchedule(int MaxAttempts, TimeSpan Window, TimeSpan Step, TimeSpan MaxDelay)
{
    /// <summary>
    /// Signing runs inside the lease (renewed meanwhile): retried for the whole window, so a signer
    /// outage delays the result instead of running the job, and spending an unwrap, again.
    /// </summary>
    public static RetrySchedule Signing(TimeSpan window) => new(int.MaxValue, window, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));

    /// <summary>Storing the result and completing the request: five calls, then the caller's fallback (release the lease, or rely on the unwrap budget).</summary>
    public static RetrySchedule Delivery { get; } = new(5, Timeout.InfiniteTimeSpan, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    public TimeSpan DelayAfter(int attempt) => TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, Step.Ticks * attempt));
}

/// <summary>
/// The runner's one retry policy for downstream calls (keyservice, signer, storage). Only a status
/// that says the call may not have happened, or may succeed on another try, is retried; every other
/// status is the dependency's answer and is returned to the caller at once. A call is only passed
/// here when repeating it is safe: signing is pure, PutResult is idempotent by job id, and
/// CompleteRequest is idempotent at keyservice's ledger.
/// </summary>
public sealed partial class DownstreamRetry(TimeProvider time, ILogger logger)
{
    public static bool IsTransient(StatusCode code) => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.Internal or StatusCode.Unknown;

    /// <summary>The answer, or the last transient <see cref="RpcException"/> once <paramref name="schedule"/> is spent.</summary>
    public async Task<T> CallAsync<T>(string jobId, string dependency, RetrySchedule schedule, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(call);
        var deadline = schedule.Window == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : time.GetUtcNow() + schedule.Window;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (RpcException ex) when (IsTransient(ex.StatusCode) && attempt < schedule.MaxAttempts && time.GetUtcNow() < deadline)
            {
                LogTransient(logger, jobId, dependency, ex.StatusCode);
                await Task.Delay(schedule.DelayAfter(attempt), cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Dependency} answered {Status}; the call will be retried")]
    private static partial void LogTransient(ILogger logger, string jobId, string dependency, StatusCode status);
}
