using System.Globalization;
using YamlDotNet.Serialization;

namespace Strongroom.Deployment.Tests;

/// <summary>One mount of a compose service: a bind mount (host path) or a named volume.</summary>
public sealed record ComposeMount(string Source, string Target, bool ReadOnly, bool IsNamedVolume);

/// <summary>The parts of one compose service the trust-split rules look at.</summary>
public sealed class ComposeService
{
    public required string Name { get; init; }

    public string? Dockerfile { get; init; }

    /// <summary>The Dockerfile stage built (<c>build.target</c>).</summary>
    public string? Target { get; init; }

    /// <summary><c>build.args</c> (map or KEY=value list).</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? User { get; init; }

    public bool ReadOnlyRoot { get; init; }

    public bool Privileged { get; init; }

    public string? NetworkMode { get; init; }

    public IReadOnlyList<string> Profiles { get; init; } = [];

    public IReadOnlyList<string> Ports { get; init; } = [];

    public IReadOnlyList<string> CapAdd { get; init; } = [];

    public IReadOnlyList<string> SecurityOpt { get; init; } = [];

    public IReadOnlyList<string> Networks { get; init; } = [];

    public IReadOnlyList<string> Secrets { get; init; } = [];

    public IReadOnlyList<ComposeMount> Mounts { get; init; } = [];

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? Env(string key) => Environment.TryGetValue(key, out var value) ? value : null;
}

/// <summary>
/// docker-compose.yml parsed with a YAML parser (YamlDotNet, as KubernetesClient brings it) into
/// the few shapes compose allows for each field (short and long syntax).
/// </summary>
public sealed class ComposeFile
{
    public required IReadOnlyDictionary<string, ComposeService> Services { get; init; }

    /// <summary>Named volumes declared at the top level.</summary>
    public required IReadOnlySet<string> DeclaredVolumes { get; init; }

    /// <summary>Top-level secrets: name → host file.</summary>
    public required IReadOnlyDictionary<string, string> SecretFiles { get; init; }

    /// <summary>Top-level networks: name → internal (no route out, nothing published).</summary>
    public required IReadOnlyDictionary<string, bool> Networks { get; init; }

    public static Dictionary<object, object> ParseDocument(string yaml) =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(yaml)
        ?? throw new InvalidDataException("empty compose file");

    public static ComposeFile Parse(string yaml) => FromDocument(ParseDocument(yaml));

    public static ComposeFile FromDocument(Dictionary<object, object> document)
    {
        var services = new Dictionary<string, ComposeService>(StringComparer.Ordinal);
        foreach (var (name, value) in Map(document, "services"))
        {
            services[name] = ParseService(name, AsMap(value));
        }

        return new ComposeFile
        {
            Services = services,
            DeclaredVolumes = Map(document, "volumes").Keys.ToHashSet(StringComparer.Ordinal),
            SecretFiles = Map(document, "secrets").ToDictionary(
                s => s.Key, s => Scalar(AsMap(s.Value), "file") ?? "", StringComparer.Ordinal),
            Networks = Map(document, "networks").ToDictionary(
                n => n.Key, n => n.Value is not null && IsTrue(AsMap(n.Value), "internal"), StringComparer.Ordinal),
        };
    }

    private static ComposeService ParseService(string name, Dictionary<string, object?> s)
    {
        var build = s.TryGetValue("build", out var b) && b is Dictionary<object, object> ? AsMap(b) : null;
        var declaredVolumes = new List<ComposeMount>();
        foreach (var v in List(s, "volumes"))
        {
            declaredVolumes.Add(ParseMount(v));
        }

        return new ComposeService
        {
            Name = name,
            Dockerfile = build is null ? null : Scalar(build, "dockerfile"),
            Target = build is null ? null : Scalar(build, "target"),
            BuildArgs = build is null ? new Dictionary<string, string>(StringComparer.Ordinal) : KeyValues(build, "args"),
            User = Scalar(s, "user"),
            ReadOnlyRoot = IsTrue(s, "read_only"),
            Privileged = IsTrue(s, "privileged"),
            NetworkMode = Scalar(s, "network_mode"),
            Profiles = List(s, "profiles").Select(p => p?.ToString() ?? "").ToList(),
            Ports = List(s, "ports").Select(ParsePort).ToList(),
            CapAdd = List(s, "cap_add").Select(p => p?.ToString() ?? "").ToList(),
            SecurityOpt = List(s, "security_opt").Select(p => p?.ToString() ?? "").ToList(),
            Networks = s.TryGetValue("networks", out var n) && n is Dictionary<object, object> nm
                ? nm.Keys.Select(k => k.ToString() ?? "").ToList()
                : List(s, "networks").Select(p => p?.ToString() ?? "").ToList(),
            Secrets = List(s, "secrets").Select(x => x is Dictionary<object, object> m ? Scalar(AsMap(m), "source") ?? "" : x?.ToString() ?? "").ToList(),
            Mounts = declaredVolumes,
            Environment = ParseEnvironment(s),
        };
    }

    private static string ParsePort(object? port) => port switch
    {
        Dictionary<object, object> m => string.Create(CultureInfo.InvariantCulture, $"{Scalar(AsMap(m), "published")}:{Scalar(AsMap(m), "target")}"),
        _ => port?.ToString() ?? "",
    };

    private static ComposeMount ParseMount(object? volume)
    {
        if (volume is Dictionary<object, object> m)
        {
            var map = AsMap(m);
            var type = Scalar(map, "type") ?? "volume";
            return new ComposeMount(Scalar(map, "source") ?? "", Scalar(map, "target") ?? "", IsTrue(map, "read_only"), type == "volume");
        }

        var parts = (volume?.ToString() ?? "").Split(':');
        var source = parts.Length > 1 ? parts[0] : "";
        var target = parts.Length > 1 ? parts[1] : parts[0];
        var readOnly = parts.Length > 2 && parts[2].Split(',').Contains("ro", StringComparer.Ordinal);
        var named = source.Length > 0 && !source.StartsWith('.') && !source.StartsWith('/') && !source.StartsWith('~') && !source.StartsWith('$');
        return new ComposeMount(source, target, readOnly, named);
    }

    private static Dictionary<string, string> ParseEnvironment(Dictionary<string, object?> s) => KeyValues(s, "environment");

    /// <summary>A map or a KEY=value list, as compose allows for environment and build args.</summary>
    private static Dictionary<string, string> KeyValues(Dictionary<string, object?> s, string key)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!s.TryGetValue(key, out var e) || e is null)
        {
            return env;
        }

        if (e is Dictionary<object, object> m)
        {
            foreach (var (k, v) in m)
            {
                env[k.ToString() ?? ""] = v?.ToString() ?? "";
            }
        }
        else if (e is List<object> list)
        {
            foreach (var item in list.Select(i => i?.ToString() ?? ""))
            {
                var eq = item.IndexOf('=', StringComparison.Ordinal);
                env[eq < 0 ? item : item[..eq]] = eq < 0 ? "" : item[(eq + 1)..];
            }
        }

        return env;
    }

    private static Dictionary<string, object?> AsMap(object? value) =>
        value is Dictionary<object, object> m
            ? m.ToDictionary(kv => kv.Key.ToString() ?? "", kv => (object?)kv.Value, StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);

    private static Dictionary<string, object?> Map(Dictionary<object, object> document, string key) =>
        document.TryGetValue(key, out var value) ? AsMap(value) : new Dictionary<string, object?>(StringComparer.Ordinal);

    private static List<object?> List(Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var value) && value is List<object> list ? [.. list] : [];

    private static string? Scalar(Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var value) && value is not null and not Dictionary<object, object> and not List<object> ? value.ToString() : null;

    private static bool IsTrue(Dictionary<string, object?> map, string key) =>
        string.Equals(Scalar(map, key), "true", StringComparison.OrdinalIgnoreCase);
}
