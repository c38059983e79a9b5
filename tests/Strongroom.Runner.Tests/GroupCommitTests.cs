using Strongroom.Runner.Queue;
using Strongroom.Runner.V1;

namespace Strongroom.Runner.Tests;

/// <summary>
/// The SQLite queue commits concurrent writes together: every write a caller was told succeeded is
/// on disk (seen by a fresh handle after the first is closed), a refused write in the same group
/// leaves no trace and takes no other write with it, and nothing is answered twice.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "strongroom-group-" + Guid.NewGuid().ToString("N"), "queue.db");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    private static NewJob Job(string id, string replay) => QueueSuite.Job(id, System.Text.Encoding.UTF8.GetBytes(replay));

    [Fact]
    public async Task Concurrent_accepts_replays_leases_and_finishes_are_all_durable_and_each_replay_is_refused_alone()
    {
        const int jobs = 200;
        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        using (var queue = SqliteJobQueue.Open(_path))
        {
            // Every job is sent twice at once under the same replay key: exactly one of each pair is accepted.
            var outcomes = await Task.WhenAll(Enumerable.Range(0, jobs * 2).Select(i => Task.Run(async () =>
            {
                var id = $"job-{i}";
                var outcome = await queue.EnqueueAsync(Job(id, "replay-" + (i / 2)), 1_000_000, 100, CancellationToken.None);
                if (outcome == EnqueueOutcome.Accepted)
                {
                    accepted.Add(id);
                }

                return outcome;
            })));
            Assert.Equal(jobs, outcomes.Count(o => o == EnqueueOutcome.Accepted));
            Assert.Equal(jobs, outcomes.Count(o => o == EnqueueOutcome.Replayed));

            // Eight workers lease and finish everything concurrently.
            var finished = new System.Collections.Concurrent.ConcurrentBag<string>();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                while (await queue.LeaseAsync($"w{w}", 100, 130, 3, CancellationToken.None) is { } lease)
                {
                    Assert.True(await queue.FinishAsync(lease.Job.JobId, lease.Fence, JobStatus.Succeeded, "", 0, 101, CancellationToken.None));
                    finished.Add(lease.Job.JobId);
                }
            })));
            Assert.Equal(accepted.Order(StringComparer.Ordinal), finished.Order(StringComparer.Ordinal));
        }

        using var reopened = SqliteJobQueue.Open(_path);
        foreach (var id in accepted)
        {
            Assert.Equal(JobStatus.Succeeded, (await reopened.GetAsync(id, CancellationToken.None))!.Status);
        }

        Assert.Null(await reopened.LeaseAsync("w", 200, 230, 3, CancellationToken.None));
    }

    [Fact]
    public async Task An_acknowledged_write_survives_the_process_closing_the_queue_right_after()
    {
        using (var queue = SqliteJobQueue.Open(_path))
        {
            Assert.Equal(EnqueueOutcome.Accepted, await queue.EnqueueAsync(Job("only", "r"), 10, 100, CancellationToken.None));
        }

        using var reopened = SqliteJobQueue.Open(_path);
        Assert.Equal(JobStatus.Queued, (await reopened.GetAsync("only", CancellationToken.None))!.Status);
    }
}
