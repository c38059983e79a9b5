using System.Diagnostics;
using System.Globalization;

namespace Strongroom.Bench;

/// <summary>What one closed-loop measurement produced.</summary>
internal sealed record Measurement(string Name, long Operations, long Errors, TimeSpan Elapsed, double P50Ms, double P99Ms, double DriverCpuShare, string? FirstError)
{
    public double PerSecond => Operations / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>Every latency sample of the window, sorted (ms), so rounds can be merged.</summary>
    public double[] Samples { get; init; } = [];

    /// <summary>Rounds of the same measurement as one: operations and time summed, percentiles over every sample.</summary>
    public static Measurement Combine(IReadOnlyList<Measurement> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        if (rounds.Count == 1)
        {
            return rounds[0];
        }

        var samples = rounds.SelectMany(r => r.Samples).Order().ToArray();
        var elapsed = TimeSpan.FromTicks(rounds.Sum(r => r.Elapsed.Ticks));
        var cpu = rounds.Sum(r => r.DriverCpuShare * r.Elapsed.TotalSeconds) / Math.Max(elapsed.TotalSeconds, 1e-9);
        return new Measurement(rounds[0].Name, rounds.Sum(r => r.Operations), rounds.Sum(r => r.Errors), elapsed,
            Load.Percentile(samples, 0.50), Load.Percentile(samples, 0.99), cpu, rounds.Select(r => r.FirstError).FirstOrDefault(e => e is not null))
        {
            Samples = samples,
        };
    }

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>
/// Closed-loop load: <c>concurrency</c> callers, each issuing its next call as soon as the previous
/// answers, spread round-robin over the given connections; a warm-up whose samples are dropped, then
/// the measured window. One operation may count several units (a batch on a stream).
/// </summary>
internal static class Load
{
    private static readonly TimeSpan MaxExtension = TimeSpan.FromSeconds(90);

    public delegate Task<int> Operation(int caller, CancellationToken cancellationToken);

    public static async Task<Measurement> RunAsync(string name, int concurrency, TimeSpan warmup, TimeSpan duration, Operation operation, CancellationToken cancellationToken)
    {
        var latencies = new List<double>[concurrency];
        long operations = 0, errors = 0;
        string? firstError = null;
        var measuring = false;
        var stopwatch = new Stopwatch();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var process = Process.GetCurrentProcess();
        var cpuStart = TimeSpan.Zero;

        async Task Caller(int index)
        {
            var mine = latencies[index] = new List<double>(4096);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var units = await operation(index, stop.Token);
                    if (Volatile.Read(ref measuring))
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        Interlocked.Add(ref operations, units);
                    }
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failed call is a counted error, never the end of the run.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    if (Volatile.Read(ref measuring))
                    {
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                    }
                }
            }
        }

        var callers = Enumerable.Range(0, concurrency).Select(i => Task.Run(() => Caller(i), CancellationToken.None)).ToArray();
        await Task.Delay(warmup, cancellationToken);
        process.Refresh();
        cpuStart = process.TotalProcessorTime;
        stopwatch.Start();
        Volatile.Write(ref measuring, true);
        await Task.Delay(duration, cancellationToken);
        // A slow operation (a whole job) may not finish inside a short window: wait for the first
        // completion (bounded), so every row has at least one sample; the window then lasts longer.
        var cap = Stopwatch.StartNew();
        while (Interlocked.Read(ref operations) == 0 && Interlocked.Read(ref errors) == 0 && cap.Elapsed < MaxExtension)
        {
            await Task.Delay(50, cancellationToken);
        }

        Volatile.Write(ref measuring, false);
        stopwatch.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuStart;
        await stop.CancelAsync();
        await Task.WhenAll(callers);
        var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
        return new Measurement(name, operations, errors, stopwatch.Elapsed, Percentile(all, 0.50), Percentile(all, 0.99),
            cpu.TotalSeconds / (stopwatch.Elapsed.TotalSeconds * Environment.ProcessorCount), firstError)
        {
            Samples = all,
        };
    }

    /// <summary>The same loop without gRPC: an in-process primitive on <paramref name="threads"/> threads.</summary>
    public static Task<Measurement> RunInProcessAsync(string name, int threads, TimeSpan warmup, TimeSpan duration, Action<int> operation, CancellationToken cancellationToken) =>
        RunAsync(name, threads, warmup, duration, (caller, _) =>
        {
            operation(caller);
            return Task.FromResult(1);
        }, cancellationToken);

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
