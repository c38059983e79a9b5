using Strongroom.Runner.Domain;

namespace Strongroom.Runner.Tests;

/// <summary>A job's change wakes that job's watchers only; a signal taken before looking is never missed.</summary>
public sealed class JobSignalTests
{
    [Fact]
    public void A_change_of_one_job_wakes_its_watchers_and_no_other_jobs()
    {
        var signal = new JobSignal();
        var a = signal.JobChanged("job-a");
        var b = signal.JobChanged("job-b");

        signal.NotifyJob("job-a");

        Assert.True(a.IsCompleted);
        Assert.False(b.IsCompleted);
    }

    [Fact]
    public void Work_accepted_after_a_worker_took_the_signal_but_before_it_waits_still_wakes_it()
    {
        var signal = new JobSignal();
        var arrived = signal.WorkArrived;

        signal.Notify();

        Assert.True(arrived.IsCompleted);
        Assert.False(signal.WorkArrived.IsCompleted);
    }

    [Fact]
    public async Task Waiting_out_the_poll_interval_returns_without_an_exception_and_cancellation_still_throws()
    {
        var signal = new JobSignal();

        await JobSignal.WaitAsync(signal.JobChanged("job-a"), TimeSpan.FromMilliseconds(1), CancellationToken.None);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => JobSignal.WaitAsync(signal.JobChanged("job-a"), TimeSpan.FromMinutes(1), cancelled.Token));
    }

    [Fact]
    public void A_watcher_that_leaves_takes_its_registration_with_it()
    {
        var signal = new JobSignal();
        var first = signal.JobChanged("job-a");

        signal.Forget("job-a", first);

        Assert.NotSame(first, signal.JobChanged("job-a"));
    }
}
