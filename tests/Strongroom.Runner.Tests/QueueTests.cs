using Npgsql;
using Strongroom.Runner.Queue;
using Strongroom.Runner.V1;
using Strongroom.Testing;

namespace Strongroom.Runner.Tests;

/// <summary>The durable queue's contract, run against SQLite and a real PostgreSQL.</summary>
public abstract class QueueSuite : IAsyncLifetime
{
    protected SqlJobQueue Queue { get; private set; } = null!;

    protected abstract Task<SqlJobQueue> OpenAsync();

    /// <summary>A second handle on the same queue, as another runner replica would have.</summary>
    protected abstract Task<SqlJobQueue> OpenReplicaAsync();

    public async ValueTask InitializeAsync() => Queue = await OpenAsync();

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Queue?.Dispose();
        return ValueTask.CompletedTask;
    }

    internal static NewJob Job(string id, byte[]? replay = null) => new(
        new JobRecord
        {
            JobId = id,
            Owner = "spiffe://strongroom/client/demo",
            JobName = "score",
            Format = RequestFormat.Strongroom,
            Request = [1, 2, 3],
            RequestDigest = new byte[32],
            SealedToKid = "kid",
            SubmitTime = 100,
        },
        replay ?? System.Text.Encoding.UTF8.GetBytes("replay-" + id),
        long.MaxValue);

    [Fact]
    public async Task An_accepted_job_is_queued_and_its_replay_is_refused_in_the_same_transaction()
    {
        Assert.Equal(EnqueueOutcome.Accepted, await Queue.EnqueueAsync(Job("a", [9, 9]), 10, 100, default));
        Assert.Equal(EnqueueOutcome.Replayed, await Queue.EnqueueAsync(Job("b", [9, 9]), 10, 100, default));
        Assert.Null(await Queue.GetAsync("b", default));
        Assert.Equal(JobStatus.Queued, (await Queue.GetAsync("a", default))!.Status);
    }

    [Fact]
    public async Task A_full_queue_refuses_and_records_nothing()
    {
        Assert.Equal(EnqueueOutcome.Accepted, await Queue.EnqueueAsync(Job("a"), 2, 100, default));
        Assert.Equal(EnqueueOutcome.Accepted, await Queue.EnqueueAsync(Job("b"), 2, 100, default));
        Assert.Equal(EnqueueOutcome.QueueFull, await Queue.EnqueueAsync(Job("c", [7]), 2, 100, default));
        // Not even its replay key: the client may send the same request again once there is room.
        var lease = await Queue.LeaseAsync("w", 100, 130, 3, default);
        Assert.True(await Queue.FinishAsync(lease!.Job.JobId, lease.Fence, JobStatus.Succeeded, "", 0, 101, default));
        Assert.Equal(EnqueueOutcome.Accepted, await Queue.EnqueueAsync(Job("c", [7]), 2, 102, default));
    }

    [Fact]
    public async Task A_lost_lease_cannot_finish_the_job_its_new_owner_runs()
    {
        await Queue.EnqueueAsync(Job("a"), 10, 100, default);
        var first = await Queue.LeaseAsync("w1", 100, 110, 3, default);
        Assert.NotNull(first);
        Assert.Null(await Queue.LeaseAsync("w2", 105, 115, 3, default)); // still leased

        var second = await Queue.LeaseAsync("w2", 111, 140, 3, default); // w1's lease expired
        Assert.NotNull(second);
        Assert.Equal(2, second.Job.Attempts);
        Assert.False(await Queue.FinishAsync("a", first.Fence, JobStatus.Succeeded, "", 0, 112, default));
        Assert.False((await Queue.RenewAsync("a", first.Fence, 200, default)).Held);
        Assert.True(await Queue.FinishAsync("a", second.Fence, JobStatus.Succeeded, "", 0, 113, default));
        Assert.False(await Queue.FinishAsync("a", second.Fence, JobStatus.Failed, "", 0, 114, default)); // completes once
        Assert.Equal(JobStatus.Succeeded, (await Queue.GetAsync("a", default))!.Status);
    }

    [Fact]
    public async Task A_pending_result_survives_and_a_job_out_of_attempts_fails_instead_of_running_again()
    {
        await Queue.EnqueueAsync(Job("kept"), 10, 100, default);
        await Queue.EnqueueAsync(Job("crashy"), 10, 100, default);
        var kept = await Queue.LeaseAsync("w", 100, 101, 1, default);
        Assert.True(await Queue.SavePendingAsync("kept", kept!.Fence, new PendingResult("jws", [1], [2], true, 0), default));
        var crashy = await Queue.LeaseAsync("w", 100, 101, 1, default);
        Assert.Equal("crashy", crashy!.Job.JobId);

        // Both leases expire; with one attempt allowed, only the job with a pending result is leased again.
        var again = await Queue.LeaseAsync("w", 200, 230, 1, default);
        Assert.Equal("kept", again!.Job.JobId);
        Assert.Equal("jws", again.Job.Pending!.SignedResult);
        Assert.Null(await Queue.LeaseAsync("w", 200, 230, 1, default));
        var failed = await Queue.GetAsync("crashy", default);
        Assert.Equal(JobStatus.Failed, failed!.Status);
        Assert.Contains("gave up", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_released_because_a_dependency_was_down_waits_for_its_retry_time_and_keeps_its_attempts()
    {
        await Queue.EnqueueAsync(Job("a"), 10, 100, default);
        for (var i = 0; i < 5; i++)
        {
            // Five outages in a row with one attempt allowed: none of them uses the attempt up.
            var lease = await Queue.LeaseAsync("w", 100 + (10 * i), 200 + (10 * i), 1, default);
            Assert.NotNull(lease);
            Assert.Equal(1, lease.Job.Attempts);
            Assert.True(await Queue.ReleaseAsync("a", lease.Fence, 105 + (10 * i), default));
            Assert.Equal(JobStatus.Queued, (await Queue.GetAsync("a", default))!.Status);
            Assert.Null(await Queue.LeaseAsync("w", 104 + (10 * i), 300, 1, default)); // not before its retry time
        }

        var last = await Queue.LeaseAsync("w", 200, 300, 1, default);
        Assert.NotNull(last);
        Assert.False(await Queue.ReleaseAsync("a", last.Fence - 1, 0, default)); // a stale fence releases nothing
    }

    [Fact]
    public async Task Cancelling_a_queued_job_ends_it_and_a_running_one_is_flagged_for_its_worker()
    {
        await Queue.EnqueueAsync(Job("q"), 10, 100, default);
        await Queue.EnqueueAsync(Job("r"), 10, 100, default);
        var running = await Queue.LeaseAsync("w", 100, 200, 3, default);
        Assert.Equal("q", running!.Job.JobId);
        Assert.Equal(JobStatus.Cancelled, (await Queue.CancelAsync("r", "stop", 101, default))!.Status);
        Assert.Equal(JobStatus.Running, (await Queue.CancelAsync("q", "stop", 101, default))!.Status);
        Assert.True((await Queue.RenewAsync("q", running.Fence, 300, default)).CancelRequested);
        Assert.Null(await Queue.LeaseAsync("w", 150, 300, 3, default)); // "r" is cancelled, not leased
    }

    [Fact]
    public async Task Replicas_leasing_concurrently_never_hold_the_same_job_at_once()
    {
        const int jobs = 40;
        for (var i = 0; i < jobs; i++)
        {
            await Queue.EnqueueAsync(Job($"j{i:00}"), 1000, 100, default);
        }

        using var other = await OpenReplicaAsync();
        var leased = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task Drain(SqlJobQueue q, string worker)
        {
            while (await q.LeaseAsync(worker, 100, 1000, 3, default) is { } lease)
            {
                leased.Add(lease.Job.JobId);
                Assert.True(await q.FinishAsync(lease.Job.JobId, lease.Fence, JobStatus.Succeeded, "", 0, 101, default));
            }
        }

        await Task.WhenAll(Drain(Queue, "a1"), Drain(Queue, "a2"), Drain(other, "b1"), Drain(other, "b2"));
        Assert.Equal(jobs, leased.Count);
        Assert.Equal(jobs, leased.Distinct().Count());
    }
}

public sealed class SqliteQueueTests : QueueSuite
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "strongroom-queue-" + Guid.NewGuid().ToString("N"), "queue.db");

    protected override Task<SqlJobQueue> OpenAsync() => Task.FromResult<SqlJobQueue>(SqliteJobQueue.Open(_path));

    protected override Task<SqlJobQueue> OpenReplicaAsync() => Task.FromResult<SqlJobQueue>(SqliteJobQueue.Open(_path));

    [Fact]
    public void The_queue_file_is_private_to_the_runner() =>
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);
    }
}

public sealed class PostgresQueueTests : QueueSuite
{
    private readonly string _schema = "rq_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    private static string ConnectionString => Environment.GetEnvironmentVariable("STRONGROOM_TEST_POSTGRES") ?? "";

    protected override async Task<SqlJobQueue> OpenAsync()
    {
        Requirements.Require(!string.IsNullOrEmpty(ConnectionString), "PostgreSQL not configured: eval \"$(scripts/test-postgres.sh)\" to set STRONGROOM_TEST_POSTGRES");
        return await PostgresJobQueue.OpenAsync(ConnectionString, _schema);
    }

    protected override Task<SqlJobQueue> OpenReplicaAsync() => OpenAsync();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!string.IsNullOrEmpty(ConnectionString))
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test-generated schema name.
            command.CommandText = $"DROP SCHEMA IF EXISTS {_schema} CASCADE";
#pragma warning restore CA2100
            await command.ExecuteNonQueryAsync();
        }
    }
}
