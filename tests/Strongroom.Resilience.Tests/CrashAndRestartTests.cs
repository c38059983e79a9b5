using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Requests;
using Strongroom.Resilience.Tests.Support;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Resilience.Tests;

/// <summary>
/// Under a steady load of HPKE `cat` submissions through the edge, every service in turn is killed
/// with SIGKILL and restarted. Clients must only ever see retryable statuses; afterwards every
/// accepted job is final, known to the runner, succeeded exactly once with exactly one stored
/// result, and every result verifies (JWS against the JWKS, digests, opens with the client's key).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class CrashAndRestartTests(ResilienceStack stack)
{
    /// <summary>The order the issue names; each is killed once.</summary>
    private static readonly string[] Victims = ["runner", "storage", "keyservice", "signer", "kms", "edge"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Accepted(StackClient Client, string? JobId, byte[] Digest, byte[] Input, string Phase);

    private sealed class Load
    {
        public volatile string Phase = "steady";
        public readonly ConcurrentQueue<Accepted> Accepted = new();
        public readonly ConcurrentDictionary<string, int> Retries = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<string, int> StatusesSeen = new(StringComparer.Ordinal);
        public readonly ConcurrentQueue<string> Unexpected = new();
        public readonly ConcurrentQueue<byte[]> NeverAccepted = new();
        public long LastAcceptedTicks = DateTime.UtcNow.Ticks;
    }

    [Fact]
    public async Task Killing_each_service_in_turn_under_load_loses_no_job_runs_none_twice_and_clients_see_only_retryable_statuses()
    {
        var load = new Load();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loaders = new[] { stack.Alice, stack.Bob }.Select((c, i) => Task.Run(() => SubmitLoopAsync(c, i, load, stop.Token), Ct)).ToArray();
        var figures = new List<string>();

        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        foreach (var victim in Victims)
        {
            load.Phase = victim;
            var acceptedBefore = load.Accepted.Count;
            var killedAt = Stopwatch.StartNew();
            var healthy = await stack.KillAndRestartAsync(victim, Ct);

            // Recovered: a fresh job submitted after the restart runs end to end.
            var probeInput = Encoding.UTF8.GetBytes("probe-after-" + victim);
            var probe = await SubmitProbeAsync(stack.Alice, probeInput);
            var final = await stack.WaitFinalAsync("alice", probe.JobId, TimeSpan.FromMinutes(3));
            Assert.True(final.Status == JobStatus.Succeeded, $"probe after {victim} restart: {final.Status} {final.Reason}");
            var recovered = killedAt.Elapsed.TotalSeconds;
            load.Accepted.Enqueue(new Accepted(stack.Alice, probe.JobId, probe.Digest, probeInput, victim + "-probe"));

            await Task.Delay(TimeSpan.FromSeconds(3), Ct);
            figures.Add(string.Create(CultureInfo.InvariantCulture, $"| {victim} | {healthy:0.0} s | {recovered:0.0} s | {load.Retries.GetValueOrDefault(victim)} | {load.Accepted.Count - acceptedBefore} |"));
        }

        load.Phase = "after";
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await stop.CancelAsync();
        await Task.WhenAll(loaders);

        // Every accepted job reaches a final state within a bounded wait.
        var accepted = load.Accepted.ToList();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        var finals = new Dictionary<string, Job>(StringComparer.Ordinal);
        var byOwner = new Dictionary<string, List<Job>>(StringComparer.Ordinal);
        foreach (var owner in new[] { stack.Alice, stack.Bob })
        {
            byOwner[owner.Identity] = await ListAllJobsAsync(owner.Identity);
        }

        // Accepted on a retry (ALREADY_EXISTS: an earlier attempt committed but its answer was lost): find the job by its request digest.
        var lost = new List<string>();
        var resolved = new List<Accepted>();
        foreach (var a in accepted)
        {
            var matches = byOwner[a.Client.Identity].Where(j => j.RequestDigest.Span.SequenceEqual(a.Digest)).ToList();
            if (matches.Count != 1)
            {
                lost.Add($"{a.JobId ?? "(id unknown, ALREADY_EXISTS on retry)"} [{a.Phase}]: {matches.Count} jobs with its request digest");
                continue;
            }

            if (a.JobId is not null && matches[0].JobId != a.JobId)
            {
                lost.Add($"{a.JobId} [{a.Phase}]: the runner has its digest under {matches[0].JobId}");
            }

            resolved.Add(a with { JobId = matches[0].JobId });
        }

        Assert.True(lost.Count == 0, "accepted jobs the runner does not know (exactly once):\n" + string.Join("\n", lost));

        foreach (var a in resolved)
        {
            var remaining = deadline - DateTime.UtcNow;
            finals[a.JobId!] = await stack.WaitFinalAsync(a.Client.Name, a.JobId!, remaining > TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5));
        }

        var notSucceeded = resolved.Select(a => (a.Phase, Job: finals[a.JobId!])).Where(p => p.Job.Status != JobStatus.Succeeded)
            .Select(p => $"  [{p.Phase}] {p.Job.JobId}: {p.Job.Status} after {p.Job.Attempts} attempt(s): {p.Job.Reason}").ToList();

        // Exactly one stored result per succeeded job, and each verifies and opens to the job's input.
        var stored = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var owner in new[] { stack.Alice, stack.Bob })
        {
            foreach (var r in await ListAllResultsAsync(owner.Identity))
            {
                stored[r.JobId] = stored.GetValueOrDefault(r.JobId) + 1;
            }
        }

        var resultProblems = new List<string>();
        foreach (var a in resolved.Where(a => finals[a.JobId!].Status == JobStatus.Succeeded))
        {
            if (stored.GetValueOrDefault(a.JobId!) != 1)
            {
                resultProblems.Add($"{a.JobId}: {stored.GetValueOrDefault(a.JobId!)} stored results");
                continue;
            }

            var (document, output, _) = await stack.FetchVerifiedAsync(a.Client, a.JobId!, a.Digest);
            if (!output.AsSpan().SequenceEqual(a.Input) || document.Status != "succeeded")
            {
                resultProblems.Add($"{a.JobId}: output or status differs ({document.Status})");
            }
        }

        var attempts = finals.Values.GroupBy(j => j.Attempts).OrderBy(g => g.Key).Select(g => $"{g.Count()} job(s) in {g.Key} attempt(s)");
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"jobs accepted: {resolved.Count} ({resolved.Count(a => a.Phase.EndsWith("-probe", StringComparison.Ordinal))} probes), never accepted when the load stopped: {load.NeverAccepted.Count}")
            .AppendLine(CultureInfo.InvariantCulture, $"final: {string.Join(", ", finals.Values.GroupBy(j => j.Status).Select(g => $"{g.Key} {g.Count()}"))}; {string.Join(", ", attempts)}")
            .AppendLine(CultureInfo.InvariantCulture, $"statuses seen by clients: {string.Join(", ", load.StatusesSeen.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))}")
            .AppendLine("| killed | healthy again after | a new job succeeds after | client retries in the outage | jobs accepted in the phase |")
            .AppendLine("| --- | --- | --- | --- | --- |");
        figures.ForEach(f => report.AppendLine(f));
        report.AppendLine(CultureInfo.InvariantCulture, $"accepted jobs that did not succeed (final all the same; see {nameof(Jobs_leased_while_keyservice_is_down_wait_for_it_instead_of_failing)}): {notSucceeded.Count}");
        notSucceeded.ForEach(f => report.AppendLine(f));
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "strongroom-resilience-crash-figures.txt"), report.ToString(), Ct);

        Assert.True(load.Unexpected.IsEmpty, "non-retryable statuses seen by clients:\n" + string.Join("\n", load.Unexpected) + "\n" + report);
        Assert.True(resultProblems.Count == 0, "stored results:\n" + string.Join("\n", resultProblems) + "\n" + report);
        Assert.All(finals.Values, j => Assert.True(ResilienceStack.IsFinal(j.Status), $"{j.JobId}: {j.Status}"));
        Assert.True(resolved.Count >= 20, "the load was too thin to prove anything\n" + report);
    }

    [Fact]
    public async Task Jobs_leased_while_keyservice_is_down_wait_for_it_instead_of_failing()
    {
        // keyservice is not needed to accept a job (Submit checks the key log in storage), only to open it.
        await stack.Stack.KillAsync(stack.Spec("keyservice"));
        var jobs = new List<(string Id, byte[] Digest, byte[] Input)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var input = Encoding.UTF8.GetBytes($"during-keyservice-outage-{i}");
                var probe = await SubmitProbeAsync(stack.Alice, input);
                jobs.Add((probe.JobId, probe.Digest, input));
            }

            // An outage of a few seconds: well within any client's patience, and far below the job's lifetime.
            await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        }
        finally
        {
            stack.Stack.Start(stack.Spec("keyservice"));
            Assert.True(await stack.Stack.WaitHealthyAsync(stack.Spec("keyservice"), TimeSpan.FromSeconds(120), Ct), stack.Log);
        }

        foreach (var (id, digest, input) in jobs)
        {
            var final = await stack.WaitFinalAsync("alice", id, TimeSpan.FromMinutes(3));
            Assert.True(final.Status == JobStatus.Succeeded, $"{id}: {final.Status} after {final.Attempts} attempt(s): {final.Reason}");
            var (_, output, _) = await stack.FetchVerifiedAsync(stack.Alice, id, digest);
            Assert.Equal(input, output);
        }
    }

    /// <summary>Submits fresh envelopes back to back; retries the same envelope on retryable statuses with backoff.</summary>
    private async Task SubmitLoopAsync(StackClient client, int loader, Load load, CancellationToken stop)
    {
        var runner = stack.RunnerThroughEdge(client.Name);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var input = Encoding.UTF8.GetBytes($"load-{loader}-{n}-{Guid.NewGuid():N}");
            var envelope = stack.Envelope(client, "cat", input);
            var digest = RequestDigest.OfEnvelope(envelope);
            var backoff = TimeSpan.FromMilliseconds(100);
            var retried = false;
            while (true)
            {
                var phase = load.Phase;
                try
                {
                    var response = await runner.SubmitAsync(new SubmitRequest { Envelope = envelope }, deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: CancellationToken.None);
                    Count(load.StatusesSeen, "OK");
                    load.Accepted.Enqueue(new Accepted(client, response.JobId, digest, input, phase));
                    break;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists && retried)
                {
                    // An earlier attempt committed; its answer was lost in the outage.
                    Count(load.StatusesSeen, "ALREADY_EXISTS (on retry)");
                    load.Accepted.Enqueue(new Accepted(client, null, digest, input, phase));
                    break;
                }
                catch (RpcException ex) when (Retryable(ex))
                {
                    Count(load.StatusesSeen, ex.StatusCode.ToString());
                    Count(load.Retries, phase);
                    if (stop.IsCancellationRequested)
                    {
                        load.NeverAccepted.Enqueue(digest);
                        return;
                    }

                    retried = true;
                    await Task.Delay(backoff, CancellationToken.None);
                    backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2000));
                }
                catch (RpcException ex)
                {
                    Count(load.StatusesSeen, ex.StatusCode.ToString());
                    load.Unexpected.Enqueue($"[{phase}] Submit: {ex.StatusCode} {ex.Status.Detail}");
                    break;
                }
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>A client's retry policy: the service is (or its dependency is) coming back, or the queue is full.</summary>
    private static bool Retryable(RpcException ex) => ex.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.ResourceExhausted => true,
        StatusCode.Internal or StatusCode.Unknown => ex.Status.DebugException is not null,
        _ => false,
    };

    private static void Count(ConcurrentDictionary<string, int> counter, string key) => counter.AddOrUpdate(key, 1, (_, v) => v + 1);

    private async Task<(string JobId, byte[] Digest)> SubmitProbeAsync(StackClient client, byte[] input)
    {
        var envelope = stack.Envelope(client, "cat", input);
        var runner = stack.RunnerThroughEdge(client.Name);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                var response = await runner.SubmitAsync(new SubmitRequest { Envelope = envelope }, deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: Ct);
                return (response.JobId, RequestDigest.OfEnvelope(envelope));
            }
            catch (RpcException ex) when (Retryable(ex) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, Ct);
            }
        }
    }

    private async Task<List<Job>> ListAllJobsAsync(string owner)
    {
        var jobs = new List<Job>();
        var token = "";
        do
        {
            var page = await stack.RunnerAdmin().ListJobsAsync(new ListJobsRequest { OwnerIdentity = owner, PageSize = 500, PageToken = token }, cancellationToken: Ct);
            jobs.AddRange(page.Jobs);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return jobs;
    }

    private async Task<List<StorageApi.ResultSummary>> ListAllResultsAsync(string owner)
    {
        var results = new List<StorageApi.ResultSummary>();
        var token = "";
        do
        {
            var page = await stack.StorageDirect("operator/admin").ListResultsAsync(new StorageApi.ListResultsRequest { OwnerIdentity = owner, PageSize = 500, PageToken = token }, cancellationToken: Ct);
            results.AddRange(page.Results);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return results;
    }
}
