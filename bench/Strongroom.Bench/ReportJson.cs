using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strongroom.Bench;

/// <summary>The same run as the markdown report, as JSON (written beside it): every row's numbers, for tools to compare runs.</summary>
internal sealed partial class Report
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string ToJson()
    {
        var root = new JsonObject
        {
            ["started_utc"] = _started.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["machine"] = new JsonObject
            {
                ["cores"] = Environment.ProcessorCount,
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["dotnet"] = Environment.Version.ToString(),
                ["load_average_at_start"] = _loadAverage,
                ["load_average_at_end"] = ReadLoadAverage(),
            },
            ["options"] = new JsonObject
            {
                ["smoke"] = options.Smoke,
                ["services_configuration"] = options.ServicesConfiguration,
                ["duration_s"] = options.Duration.TotalSeconds,
                ["warmup_s"] = options.Warmup.TotalSeconds,
                ["rounds"] = options.Rounds,
                ["concurrency"] = options.Concurrency,
                ["connections"] = options.Connections,
                ["scenarios"] = new JsonArray([.. options.Scenarios.Select(s => (JsonNode?)JsonValue.Create(s))]),
            },
            ["pairs"] = new JsonArray([.. Pairs.Select(p => (JsonNode?)new JsonObject
            {
                ["id"] = p.Id,
                ["scenario"] = p.Scenario,
                ["baseline"] = p.Baseline,
                ["target"] = p.Target,
                ["note"] = p.Note,
                ["ratio"] = Finite(p.Ratio),
                ["scenario_measured"] = Row(p.Measured),
                ["baseline_measured"] = Row(p.BaselineMeasured),
                ["peak_rss_mib"] = new JsonObject([.. p.PeakMiB.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(Math.Round(kv.Value, 1))))]),
            })]),
            ["primitives"] = new JsonArray([.. Primitives.Select(m => (JsonNode?)Row(m))]),
            ["full_path_phases"] = new JsonArray([.. FullPathPhases.Select(f => (JsonNode?)new JsonObject { ["phase"] = f.Phase, ["p50_ms"] = Finite(f.P50), ["p99_ms"] = Finite(f.P99) })]),
            ["full_path_parts"] = new JsonArray([.. FullPathParts.Select(m => (JsonNode?)Row(m))]),
            ["kms"] = Kms is null ? null : new JsonObject
            {
                ["messages"] = Kms.Messages,
                ["decrypt_calls"] = Kms.DecryptCalls,
                ["key_versions_used"] = Kms.KeyVersionsUsed,
                ["per_10000_messages"] = Finite(Kms.Per10000),
                ["drained"] = Kms.Drained,
                ["drain_s"] = Kms.Drain.TotalSeconds,
            },
            ["problems"] = new JsonArray([.. Problems().Select(p => (JsonNode?)JsonValue.Create(p))]),
        };
        return root.ToJsonString(Indented) + "\n";
    }

    private static JsonObject Row(Measurement m) => new()
    {
        ["name"] = m.Name,
        ["operations"] = m.Operations,
        ["errors"] = m.Errors,
        ["elapsed_s"] = m.Elapsed.TotalSeconds,
        ["per_second"] = Finite(m.PerSecond),
        ["p50_ms"] = Finite(m.P50Ms),
        ["p99_ms"] = Finite(m.P99Ms),
        ["driver_cpu_share"] = Finite(m.DriverCpuShare),
    };

    // JSON has no NaN or infinity: an undefined figure is null.
    private static JsonValue? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 4)) : null;
}
