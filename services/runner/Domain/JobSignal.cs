namespace Strongroom.Runner.Domain;

/// <summary>
/// Wakes idle workers when this replica accepts a job and watchers when a job here changes. Only
/// a shortcut: workers and watchers also poll the queue, which is what other replicas' changes
/// reach them through.
/// </summary>
public sealed class JobSignal
{
    private TaskCompletionSource _changed = NewSource();

    public void Notify() => Interlocked.Exchange(ref _changed, NewSource()).TrySetResult();

    /// <summary>Completes at the next <see cref="Notify"/> or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var changed = Volatile.Read(ref _changed).Task;
        try
        {
            await changed.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Time to poll.
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
