using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Strongroom.Requests;
using Strongroom.Runner.V1;
using Strongroom.Stack;

namespace Strongroom.Resilience.Tests.Support;

/// <summary>One operation of the load mix and how it went; <see cref="Error"/> is null when every step was OK.</summary>
public sealed record Operation(string Client, DateTime StartedAt, double SubmitMs, double TotalMs, string? JobId, string? Error);

/// <summary>
/// The operation mix of the soak and churn suites, as an experimenter does it: Submit an HPKE `cat`
/// job through the edge, WatchJob until it is final, then GetResult + GetJwks and verify the JWS,
/// the document's digests and that the sealed output opens to exactly the input sent. No retries:
/// any non-OK status, any job not SUCCEEDED, any result that does not verify is an error.
/// </summary>
public sealed class SteadyLoad(ResilienceStack stack)
{
    private long _sequence;

    public ConcurrentQueue<Operation> Operations { get; } = new();

    public async Task<Operation> RunOneAsync(StackClient client, Runner.V1.Runner.RunnerClient? runner = null, string job = "cat")
    {
        var n = Interlocked.Increment(ref _sequence);
        var input = Encoding.UTF8.GetBytes($"steady-{client.Name}-{n}-{Guid.NewGuid():N}");
        var envelope = stack.Envelope(client, job, input);
        var digest = RequestDigest.OfEnvelope(envelope);
        runner ??= stack.RunnerThroughEdge(client.Name);
        var startedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        double submitMs = 0;
        string? jobId = null;
        string? error = null;
        var step = "Submit";
        try
        {
            jobId = (await runner.SubmitAsync(new SubmitRequest { Envelope = envelope }, deadline: DateTime.UtcNow.AddSeconds(60))).JobId;
            submitMs = clock.Elapsed.TotalMilliseconds;
            step = "WatchJob";
            Job? last = null;
            using (var watch = runner.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(5)))
            {
                await foreach (var update in watch.ResponseStream.ReadAllAsync())
                {
                    last = update.Job;
                }
            }

            if (last is null || last.Status != JobStatus.Succeeded)
            {
                error = $"job {jobId} ended {last?.Status.ToString() ?? "(no update)"}: {last?.Reason}";
            }
            else
            {
                step = "GetResult+verify";
                var (document, output, _) = await stack.FetchVerifiedAsync(client, jobId, digest);
                if (document.Status != "succeeded" || !output.AsSpan().SequenceEqual(input))
                {
                    error = $"job {jobId}: result {document.Status}, output differs from the input";
                }
            }
        }
        catch (RpcException ex)
        {
            error = $"{step}: {ex.StatusCode} {ex.Status.Detail}";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // FetchVerifiedAsync asserts; a failed verification is an error of this operation.
            error = $"{step}: {ex.GetType().Name} {ex.Message.Split('\n')[0]}";
        }

        var op = new Operation(client.Name, startedAt, submitMs, clock.Elapsed.TotalMilliseconds, jobId, error);
        Operations.Enqueue(op);
        return op;
    }

    /// <summary>
    /// Closed loop: <paramref name="concurrency"/> workers (alternating <paramref name="clients"/>) run
    /// operations back to back for <paramref name="warmUp"/> + <paramref name="measure"/>; returns the
    /// operations completed per second during <paramref name="measure"/> (started and finished inside it).
    /// </summary>
    public async Task<(double PerSecond, List<Operation> Measured)> CalibrateAsync(IReadOnlyList<StackClient> clients, int concurrency, TimeSpan warmUp, TimeSpan measure, CancellationToken ct)
    {
        var from = DateTime.UtcNow + warmUp;
        var until = from + measure;
        var done = new ConcurrentQueue<(Operation Op, DateTime EndedAt)>();
        var workers = Enumerable.Range(0, concurrency).Select(i => Task.Run(async () =>
        {
            var client = clients[i % clients.Count];
            while (DateTime.UtcNow < until && !ct.IsCancellationRequested)
            {
                var op = await RunOneAsync(client);
                done.Enqueue((op, DateTime.UtcNow));
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var measured = done.Where(d => d.EndedAt >= from && d.EndedAt <= until).Select(d => d.Op).ToList();
        return (measured.Count / measure.TotalSeconds, measured);
    }

    /// <summary>
    /// Paced: starts one operation every 1/<paramref name="perSecond"/> s (alternating
    /// <paramref name="clients"/>) for <paramref name="duration"/>, whatever the previous ones are
    /// doing — unless <paramref name="maxInFlight"/> are still running, in which case the next start
    /// waits for one to finish (so a dip in the shared box's capacity slows the load instead of
    /// overflowing the runner's queue) and the schedule continues from then. Returns the operations
    /// and how long starts were held back.
    /// </summary>
    public async Task<(List<Operation> Ops, TimeSpan HeldBack, int TimesHeld)> PacedAsync(IReadOnlyList<StackClient> clients, double perSecond, TimeSpan duration, CancellationToken ct, int maxInFlight = int.MaxValue)
    {
        var started = new List<Task<Operation>>();
        using var window = new SemaphoreSlim(maxInFlight == int.MaxValue ? int.MaxValue : maxInFlight);
        var clock = Stopwatch.StartNew();
        var heldBack = TimeSpan.Zero;
        var timesHeld = 0;
        var next = TimeSpan.Zero;
        for (var i = 0; next < duration; i++)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            if (!window.Wait(0, ct))
            {
                var before = clock.Elapsed;
                await window.WaitAsync(ct);
                heldBack += clock.Elapsed - before;
                timesHeld++;
            }

            var client = clients[i % clients.Count];
            started.Add(Task.Run(async () =>
            {
                try
                {
                    return await RunOneAsync(client);
                }
                finally
                {
                    window.Release();
                }
            }, ct));
            next = TimeSpan.FromTicks(Math.Max(next.Ticks, clock.Elapsed.Ticks - TimeSpan.FromSeconds(1 / perSecond).Ticks)) + TimeSpan.FromSeconds(1 / perSecond);
        }

        return ([.. await Task.WhenAll(started)], heldBack, timesHeld);
    }

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static string Latency(IEnumerable<double> ms)
    {
        var list = ms.ToList();
        return string.Create(CultureInfo.InvariantCulture, $"p50 {Percentile(list, 50):0} ms, p99 {Percentile(list, 99):0} ms");
    }
}

/// <summary>
/// Samples each service's resident set (VmRSS in /proc/&lt;pid&gt;/status) at a fixed interval, by
/// pid, so a restarted service would show up as a new series rather than a drop.
/// </summary>
public sealed class RssSampler(ResilienceStack stack, TimeSpan interval) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public ConcurrentQueue<(DateTime At, string Service, int Pid, long RssBytes)> Samples { get; } = new();

    public void Start() => _loop = Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            var at = DateTime.UtcNow;
            foreach (var service in ResilienceStack.Services)
            {
                var pid = stack.Pid(service);
                Samples.Enqueue((at, service, pid, ReadRss(pid)));
            }
        }
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
    });

    public static long ReadRss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                // "VmRSS:     123456 kB"
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS for pid {pid}");
    }

    /// <summary>The median VmRSS of <paramref name="service"/> over samples taken in [from, until].</summary>
    public double Median(string service, DateTime from, DateTime until) =>
        SteadyLoad.Percentile(Samples.Where(s => s.Service == service && s.At >= from && s.At <= until).Select(s => (double)s.RssBytes), 50);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_loop is not null)
            {
                await _loop;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }
}
