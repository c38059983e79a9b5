using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Strongroom.Runner.Domain;

namespace Strongroom.Runner.Tests;

/// <summary>The runner's one retry policy: only statuses that say "try again" are retried, and only within the schedule.</summary>
public sealed class DownstreamRetryTests
{
    private static readonly RetrySchedule ThreeQuickCalls = new(3, Timeout.InfiniteTimeSpan, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5));

    private static DownstreamRetry Retry() => new(TimeProvider.System, NullLogger.Instance);

    [Fact]
    public async Task A_transient_failure_is_retried_until_the_call_answers()
    {
        var calls = 0;
        var answer = await Retry().CallAsync("job-1", "storage", ThreeQuickCalls, _ =>
            ++calls < 3 ? throw new RpcException(new Status(StatusCode.Unavailable, "down")) : Task.FromResult("stored"), CancellationToken.None);

        Assert.Equal("stored", answer);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task After_the_last_attempt_the_transient_status_reaches_the_caller()
    {
        var calls = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(() => Retry().CallAsync<string>("job-1", "storage", ThreeQuickCalls, _ =>
        {
            calls++;
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "slow"));
        }, CancellationToken.None));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.Equal(3, calls);
    }

    [Theory]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.NotFound)]
    public async Task A_dependency_s_answer_is_never_retried(StatusCode code)
    {
        var calls = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(() => Retry().CallAsync<string>("job-1", "signer", ThreeQuickCalls, _ =>
        {
            calls++;
            throw new RpcException(new Status(code, "no"));
        }, CancellationToken.None));

        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_spent_window_ends_the_retries_whatever_the_attempt_count()
    {
        var calls = 0;
        var schedule = new RetrySchedule(int.MaxValue, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20));
        await Assert.ThrowsAsync<RpcException>(() => Retry().CallAsync<string>("job-1", "signer", schedule, _ =>
        {
            calls++;
            throw new RpcException(new Status(StatusCode.Unavailable, "down"));
        }, CancellationToken.None));

        Assert.InRange(calls, 2, 10);
    }

    [Fact]
    public void Waits_grow_by_one_step_per_attempt_up_to_the_cap()
    {
        var signing = RetrySchedule.Signing(TimeSpan.FromMinutes(1));
        Assert.Equal(TimeSpan.FromMilliseconds(250), signing.DelayAfter(1));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), signing.DelayAfter(4));
        Assert.Equal(TimeSpan.FromSeconds(5), signing.DelayAfter(100));
        Assert.Equal(TimeSpan.FromSeconds(4), RetrySchedule.Delivery.DelayAfter(4));
        Assert.Equal(5, RetrySchedule.Delivery.MaxAttempts);
    }
}
