using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Strongroom.Bench;

/// <summary>A scenario and its baseline, measured back to back; memory is each process's peak RSS over the pair.</summary>
internal sealed record PairResult(string Id, string Scenario, string Baseline, string Target, string? Note, Measurement Measured, Measurement BaselineMeasured, IReadOnlyDictionary<string, double> PeakMiB)
{
    /// <summary>Throughput ratio, except for the full path: sum of the parts' p50 / the full path's p50.</summary>
    public double Ratio => Id == "fullpath" ? BaselineMeasured.P50Ms / Measured.P50Ms : Measured.PerSecond / BaselineMeasured.PerSecond;
}

internal sealed record KmsResult(long Messages, int DecryptCalls, int KeyVersionsUsed, TimeSpan Drain, bool Drained)
{
    public double Per10000 => Messages == 0 ? double.NaN : DecryptCalls * 10000.0 / Messages;
}

internal sealed partial class Report(BenchOptions options)
{
    private readonly string _loadAverage = ReadLoadAverage();
    private readonly DateTime _started = DateTime.UtcNow;

    private static readonly string[] PairIds = ["empty", "getpublickey", "sign", "signbatch", "signstream", "hpke", "studioml", "fullpath", "submit"];

    public List<PairResult> Pairs { get; } = [];

    public List<Measurement> Primitives { get; } = [];

    public List<(string Phase, double P50, double P99)> FullPathPhases { get; } = [];

    public List<Measurement> FullPathParts { get; } = [];

    public KmsResult? Kms { get; set; }

    public List<string> Problems()
    {
        var problems = new List<string>();
        foreach (var m in Pairs.SelectMany(p => new[] { p.Measured, p.BaselineMeasured }).Concat(Primitives).Concat(FullPathParts))
        {
            if (m.Operations == 0)
            {
                problems.Add($"{m.Name}: no operation completed");
            }

            if (m.Errors > 0)
            {
                problems.Add($"{m.Name}: {m.Errors} errors, first: {m.FirstError}");
            }
        }

        var wanted = options.Scenarios.ToHashSet(StringComparer.Ordinal);
        foreach (var id in PairIds.Where(id => wanted.Contains(id == "getpublickey" ? "empty" : id)))
        {
            if (!Pairs.Any(p => p.Id == id))
            {
                problems.Add($"scenario {id} produced no result");
            }
        }

        if (wanted.Contains("primitives") && Primitives.Count == 0)
        {
            problems.Add("primitives produced no result");
        }

        if (wanted.Contains("kms") && (Kms is null || !Kms.Drained || Kms.Messages == 0))
        {
            problems.Add("kms: no count (queue not drained or no message)");
        }

        return problems;
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        void L(string line = "") => sb.Append(line).Append('\n');
        L($"# Strongroom benchmark {(options.Smoke ? "(smoke run: numbers are not meaningful) " : "")}— {_started:yyyy-MM-dd HH:mm:ss} UTC");
        L();
        L($"- machine: {Environment.ProcessorCount} cores ({CpuModel()}), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average (1/5/15 min) at start {_loadAverage}, at the end {ReadLoadAverage()}");
        L($"- load: closed loop, {options.Concurrency} concurrent callers over {options.Connections} HTTP/2 connections (one GrpcChannel + SocketsHttpHandler each, no extra connections), every caller presenting its client certificate (mTLS, TLS 1.3); warm-up {options.Warmup.TotalSeconds:0.#} s dropped, then {options.Duration.TotalSeconds:0.#} s measured per row, in {options.Rounds} alternating baseline/scenario round(s) of {options.Duration.TotalSeconds / options.Rounds:0.#} s each (each round with its own warm-up)");
        L($"- stack: kms, storage, signer, keyservice, runner, edge and the bench baseline server as real processes on 127.0.0.1, started by DevStack ({options.ServicesConfiguration} builds{(options.ServicesConfiguration == "Release" ? "" : ", as `dev up` runs them: slower than a deployment")}), temp state, shifted ports");
        L("- ratio: scenario throughput / baseline throughput, measured back to back in this run (full path: sum of the parts' p50 / full-path p50)");
        L();
        L("| scenario | baseline | scenario /s | baseline /s | ratio | target | scenario p50 / p99 ms | baseline p50 / p99 ms | errors | driver CPU |");
        L("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var p in Pairs)
        {
            var s = p.Measured;
            var b = p.BaselineMeasured;
            var bRate = p.Id == "fullpath" ? "—" : F(b.PerSecond);
            L($"| {p.Scenario} | {p.Baseline} | {F(s.PerSecond)} | {bRate} | **{F(p.Ratio, "0.00")}** | {p.Target} | {F(s.P50Ms, "0.00")} / {F(s.P99Ms, "0.00")} | {F(b.P50Ms, "0.00")} / {F(b.P99Ms, "0.00")} | {s.Errors + b.Errors} | {Pct(s.DriverCpuShare)} / {Pct(b.DriverCpuShare)} |");
        }

        if (Kms is { } k)
        {
            // The calls are per key version, not per message: dividing them by the messages (and scaling
            // to 10,000) says nothing once more than 10,000 ran, so the row shows the counts themselves.
            var scale = k.Messages < 10000 ? "linear extrapolation to 10,000" : "scaled to 10,000";
            var label = $"{k.DecryptCalls} calls over {k.Messages} messages ({scale}: {F(k.Per10000, "0.##")})";
            var verdict = k.DecryptCalls == k.KeyVersionsUsed ? "equal: **met**" : "equal: **missed**";
            L($"| kms Decrypt calls over the run (per 10,000 messages) | key versions used | {label} | {k.KeyVersionsUsed} | — | {verdict} | — | — | — | — |");
        }

        var notes = Pairs.Where(p => p.Note is not null).ToList();
        if (notes.Count > 0)
        {
            L();
            foreach (var p in notes)
            {
                L($"- {p.Id}: {p.Note}");
            }
        }

        if (Kms is { } kms)
        {
            L($"- kms: kms audit-log lines for Decrypt from after setup to the end of the run (every accepted job drained: {(kms.Drained ? "yes" : "NO")}, {F(kms.Drain.TotalSeconds)} s after the last scenario); key versions used = the X25519 request key's one version (keyservice) + the result-signing key's one version (signer) + the StudioML RSA key's one version (keyservice) when the studioml scenario ran");
        }

        L();
        L("## Baselines: raw primitives in-process (one thread per core)");
        L();
        L("| primitive | ops/s | p50 / p99 µs | driver CPU |");
        L("| --- | ---: | ---: | ---: |");
        foreach (var m in Primitives)
        {
            L($"| {m.Name} | {F(m.PerSecond)} | {F(m.P50Ms * 1000, "0.0")} / {F(m.P99Ms * 1000, "0.0")} | {Pct(m.DriverCpuShare)} |");
        }

        if (FullPathPhases.Count > 0)
        {
            L();
            L("## Full path, by phase (one caller)");
            L();
            L("| phase | p50 ms | p99 ms |");
            L("| --- | ---: | ---: |");
            foreach (var (phase, p50, p99) in FullPathPhases)
            {
                L($"| {phase} | {F(p50, "0.00")} | {F(p99, "0.00")} |");
            }

            L();
            L("Parts measured alone (one caller each):");
            L();
            L("| part | /s | p50 ms | p99 ms |");
            L("| --- | ---: | ---: | ---: |");
            foreach (var m in FullPathParts)
            {
                L($"| {m.Name} | {F(m.PerSecond)} | {F(m.P50Ms, "0.00")} | {F(m.P99Ms, "0.00")} |");
            }
        }

        if (Pairs.Count > 0)
        {
            var services = Pairs.SelectMany(p => p.PeakMiB.Keys).Distinct(StringComparer.Ordinal).ToList();
            L();
            L("## Peak resident memory per service during each pair (MiB, VmHWM reset before the pair)");
            L();
            L("| scenario | " + string.Join(" | ", services) + " |");
            L("| --- |" + string.Concat(services.Select(_ => " ---: |")));
            foreach (var p in Pairs)
            {
                L($"| {p.Id} | " + string.Join(" | ", services.Select(s => p.PeakMiB.TryGetValue(s, out var v) ? F(v, "0") : "—")) + " |");
            }
        }

        L();
        L("driver CPU = the load driver's own CPU time / (wall time × cores) during the measured window (scenario / baseline).");
        return sb.ToString();
    }

    private static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Pct(double v) => (v * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages, as `uptime` shows them.</summary>
    private static string ReadLoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
