using System.Globalization;

namespace Strongroom.Bench;

/// <summary>Command line: [--smoke] [--duration 30s] [--warmup 2s] [--concurrency N] [--connections M] [--rounds R] [--scenarios a,b] [--out DIR] [--allow-debug-services].</summary>
internal sealed class BenchOptions
{
    /// <summary>
    /// The configuration this driver was built in; its project references build the services and the
    /// baseline server in the same one, so that is what it launches (Release for `dotnet run -c Release`).
    /// </summary>
#if DEBUG
    public const string BuildConfiguration = "Debug";
#else
    public const string BuildConfiguration = "Release";
#endif

    /// <summary>In run order: the rows that need jobs really run come before the runner is restarted in decrypt-only mode for hpke and studioml.</summary>
    public static readonly string[] AllScenarios = ["empty", "sign", "signbatch", "signstream", "primitives", "fullpath", "hpke", "studioml", "submit", "kms"];

    public bool Smoke { get; private set; }

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);

    public int Concurrency { get; private set; } = 16;

    public int Connections { get; private set; } = 4;

    /// <summary>Alternating baseline/scenario rounds per pair; the measured time is split over them.</summary>
    public int Rounds { get; private set; } = 3;

    public IReadOnlyList<string> Scenarios { get; private set; } = AllScenarios;

    public string? OutputDirectory { get; private set; }

    /// <summary>Full runs measure what production runs (Release); only the smoke or an explicit flag may launch Debug services.</summary>
    public bool AllowDebugServices { get; private set; }

    public string ServicesConfiguration { get; } = BuildConfiguration;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        bool durationSet = false, warmupSet = false, concurrencySet = false, connectionsSet = false, roundsSet = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--smoke":
                    o.Smoke = true;
                    break;
                case "--duration":
                    o.Duration = ParseDuration(Next());
                    durationSet = true;
                    break;
                case "--warmup":
                    o.Warmup = ParseDuration(Next());
                    warmupSet = true;
                    break;
                case "--concurrency":
                    o.Concurrency = int.Parse(Next(), CultureInfo.InvariantCulture);
                    concurrencySet = true;
                    break;
                case "--connections":
                    o.Connections = int.Parse(Next(), CultureInfo.InvariantCulture);
                    connectionsSet = true;
                    break;
                case "--scenarios":
                    o.Scenarios = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var unknown = o.Scenarios.Except(AllScenarios, StringComparer.Ordinal).ToList();
                    if (unknown.Count > 0)
                    {
                        throw new ArgumentException("unknown scenario(s) " + string.Join(", ", unknown) + "; known: " + string.Join(", ", AllScenarios));
                    }

                    break;
                case "--out":
                    o.OutputDirectory = Next();
                    break;
                case "--rounds":
                    o.Rounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    roundsSet = true;
                    break;
                case "--allow-debug-services":
                    o.AllowDebugServices = true;
                    break;
                default:
                    throw new ArgumentException("unknown argument " + args[i] + "; usage: [--smoke] [--duration 30s] [--warmup 2s] [--concurrency N] [--connections M] [--scenarios " + string.Join(",", AllScenarios) + "] [--rounds R] [--out DIR] [--allow-debug-services]");
            }
        }

        if (o.Smoke)
        {
            o.Duration = durationSet ? o.Duration : TimeSpan.FromSeconds(1);
            o.Warmup = warmupSet ? o.Warmup : TimeSpan.FromSeconds(0.3);
            o.Concurrency = concurrencySet ? o.Concurrency : 2;
            o.Connections = connectionsSet ? o.Connections : 1;
            o.Rounds = roundsSet ? o.Rounds : 1;
        }

        if (!o.Smoke && !o.AllowDebugServices && BuildConfiguration != "Release")
        {
            throw new ArgumentException("a full run measures Release services: dotnet run -c Release --project bench/Strongroom.Bench -- ... "
                + "(this driver is a Debug build, so its services are too; --allow-debug-services measures them anyway, labelled)");
        }

        if (o.Concurrency < 1 || o.Connections < 1 || o.Rounds < 1)
        {
            throw new ArgumentException("--concurrency, --connections and --rounds must be at least 1");
        }

        return o;
    }

    /// <summary>"30s", "500ms", "2m" or a TimeSpan ("00:00:30").</summary>
    public static TimeSpan ParseDuration(string value)
    {
        if (value.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(double.Parse(value[..^2], CultureInfo.InvariantCulture));
        }

        if (value.EndsWith('s'))
        {
            return TimeSpan.FromSeconds(double.Parse(value[..^1], CultureInfo.InvariantCulture));
        }

        if (value.EndsWith('m'))
        {
            return TimeSpan.FromMinutes(double.Parse(value[..^1], CultureInfo.InvariantCulture));
        }

        return TimeSpan.Parse(value, CultureInfo.InvariantCulture);
    }
}
