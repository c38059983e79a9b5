using System.Collections.Concurrent;

namespace Strongroom.Runner.Domain;

/// <summary>
/// Wakes idle workers when this replica accepts a job, and a job's watchers when that job changes
/// here — only its own watchers, so a busy runner does not wake every WatchJob stream (each then
/// reading the queue) for every change of every job. Only a shortcut: workers and watchers also poll
/// the queue, which is what other replicas' changes reach them through.
/// </summary>
public sealed class JobSignal
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _jobs = new(StringComparer.Ordinal);
    private TaskCompletionSource _work = NewSource();

    /// <summary>Completes at the next <see cref="Notify"/>; take it before looking for work, so a job accepted meanwhile is not missed.</summary>
    public Task WorkArrived => Volatile.Read(ref _work).Task;

    /// <summary>Work may be available (a job was accepted, or a job's state changed so that it may be leased).</summary>
    public void Notify() => Interlocked.Exchange(ref _work, NewSource()).TrySetResult();

    /// <summary><paramref name="jobId"/> changed: wakes its watchers.</summary>
    public void NotifyJob(string jobId)
    {
        if (_jobs.TryRemove(jobId, out var changed))
        {
            changed.TrySetResult();
        }
    }

    /// <summary>Completes at the next <see cref="NotifyJob"/> of <paramref name="jobId"/>; take it before reading the job.</summary>
    public Task JobChanged(string jobId) => _jobs.GetOrAdd(jobId, static _ => NewSource()).Task;

    /// <summary>A watcher leaving: drops its registration unless a change already replaced it (the next watcher makes a new one).</summary>
    public void Forget(string jobId, Task changed)
    {
        if (_jobs.TryGetValue(jobId, out var source) && source.Task == changed)
        {
            _jobs.TryRemove(new KeyValuePair<string, TaskCompletionSource>(jobId, source));
        }
    }

    /// <summary>Completes at the next <see cref="Notify"/> or after <paramref name="timeout"/>.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => WaitAsync(WorkArrived, timeout, cancellationToken);

    /// <summary>Waits for <paramref name="changed"/> or <paramref name="timeout"/> (time to poll), without an exception per timeout.</summary>
    public static async Task WaitAsync(Task changed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        await changed.WaitAsync(timeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
