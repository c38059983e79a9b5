using System.Globalization;
using System.Text.RegularExpressions;
using Strongroom.Deployment.Tests.Support;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The trust split of DESIGN §1–§2 and §8 as rules over a compose file. Each rule returns its
/// violations (empty: the rule holds), so tests can also run it on deliberately broken files.
/// </summary>
public static partial class ComposeRules
{
    /// <summary>Where deploy/compose/init.sh writes the deployment PKI (PkiDirectory layout).</summary>
    public const string PkiRoot = "deploy/compose/pki";

    /// <summary>The folder and file names that hold the kms passphrase.</summary>
    public const string PassphraseName = "kms-passphrase";

    public const int EdgePort = 7443;

    /// <summary>Only the edge publishes a port, exactly 7443 → 7443; no service shares the host's network.</summary>
    public static IReadOnlyList<string> OnlyEdgePublishes(ComposeFile file)
    {
        var problems = new List<string>();
        foreach (var s in file.Services.Values)
        {
            if (string.Equals(s.NetworkMode, "host", StringComparison.Ordinal))
            {
                problems.Add($"{s.Name} uses the host's network");
            }

            if (s.Name != CallGraph.PublicEntry && s.Ports.Count > 0)
            {
                problems.Add($"{s.Name} publishes {string.Join(", ", s.Ports)}; only {CallGraph.PublicEntry} may");
            }
        }

        if (!file.Services.TryGetValue(CallGraph.PublicEntry, out var edge))
        {
            problems.Add("no edge service");
        }
        else if (edge.Ports.Count != 1 || PublishedPort(edge.Ports[0]) != (EdgePort, EdgePort))
        {
            problems.Add($"edge publishes [{string.Join(", ", edge.Ports)}]; expected only {EdgePort}:{EdgePort}");
        }

        return problems;
    }

    /// <summary>
    /// Services other than the edge sit only on internal networks (no route in or out), so the edge
    /// is the only container reachable from outside.
    /// </summary>
    public static IReadOnlyList<string> OnlyEdgeOnExternalNetworks(ComposeFile file)
    {
        var problems = new List<string>();
        foreach (var s in file.Services.Values.Where(s => s.Name != CallGraph.PublicEntry))
        {
            if (s.Networks.Count == 0)
            {
                problems.Add($"{s.Name} is on the default (external) network");
            }

            foreach (var n in s.Networks.Where(n => !file.Networks.TryGetValue(n, out var isInternal) || !isInternal))
            {
                problems.Add($"{s.Name} is on the non-internal network {n}");
            }
        }

        return problems;
    }

    /// <summary>Which services can read the kms passphrase: a secret from a passphrase file, a bind mount of it, or an environment variable naming it.</summary>
    public static IReadOnlyList<string> PassphraseReaders(ComposeFile file)
    {
        var passphraseSecrets = file.SecretFiles.Where(s => s.Key.Contains(PassphraseName, StringComparison.Ordinal) || s.Value.Contains(PassphraseName, StringComparison.Ordinal))
            .Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        return file.Services.Values.Where(s =>
                s.Secrets.Any(passphraseSecrets.Contains)
                || s.Mounts.Any(m => m.Source.Contains(PassphraseName, StringComparison.Ordinal) || Normalize(m.Source).Contains("deploy/compose/secrets", StringComparison.Ordinal))
                || s.Environment.Any(e => e.Key.Contains("Passphrase", StringComparison.Ordinal) && e.Value.Length > 0))
            .Select(s => s.Name).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The passphrase reaches kms alone, and no container that can read it also mounts a store of
    /// a key holder (keyservice, signer): no process holds both a KEK's passphrase and application keys.
    /// </summary>
    public static IReadOnlyList<string> PassphraseApartFromKeyStores(ComposeFile file)
    {
        var problems = new List<string>();
        var readers = PassphraseReaders(file);
        if (!readers.SequenceEqual(["kms"], StringComparer.Ordinal))
        {
            problems.Add($"the kms passphrase is readable by [{string.Join(", ", readers)}]; expected [kms]");
        }

        var keyStores = CallGraph.KeyHolders
            .Where(file.Services.ContainsKey)
            .SelectMany(h => file.Services[h].Mounts.Where(m => m.IsNamedVolume).Select(m => m.Source))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var reader in readers.Select(r => file.Services[r]))
        {
            foreach (var m in reader.Mounts.Where(m => keyStores.Contains(m.Source) || CallGraph.KeyHolders.Any(h => Segments(m.Source).Contains(h, StringComparer.Ordinal))))
            {
                problems.Add($"{reader.Name} can read the kms passphrase and mounts the key store {m.Source}");
            }
        }

        return problems;
    }

    /// <summary>
    /// Each service mounts from the PKI only the trust bundle and its own folder; no mount names
    /// another service; the CA folder (and the PKI root above it) is mounted nowhere.
    /// </summary>
    public static IReadOnlyList<string> OwnCertificatesOnly(ComposeFile file)
    {
        var problems = new List<string>();
        foreach (var s in file.Services.Values)
        {
            var own = s.Name == CallGraph.OperatorTool ? "operator-admin" : s.Name;
            var others = CallGraph.Services.Where(o => o != s.Name).ToList();
            foreach (var m in s.Mounts)
            {
                var source = Normalize(m.Source);
                if (IsCaKey(source))
                {
                    problems.Add($"{s.Name} mounts {m.Source}: the CA key is mounted into no service");
                }

                if (source == PkiRoot || source.StartsWith(PkiRoot + "/", StringComparison.Ordinal))
                {
                    var rest = source == PkiRoot ? "" : source[(PkiRoot.Length + 1)..];
                    var allowed = rest == "ca.crt" || rest == own || rest.StartsWith(own + "/", StringComparison.Ordinal);
                    if (!allowed)
                    {
                        problems.Add($"{s.Name} mounts {m.Source} from the PKI; only ca.crt and {PkiRoot}/{own}");
                    }
                }

                foreach (var other in others.Where(o => Segments(m.Source).Contains(o, StringComparer.Ordinal) || Segments(m.Target).Contains(o, StringComparer.Ordinal)))
                {
                    problems.Add($"{s.Name} mounts {m.Source}:{m.Target}, which names {other}");
                }
            }
        }

        foreach (var (name, path) in file.SecretFiles.Where(s => IsCaKey(Normalize(s.Value))))
        {
            problems.Add($"secret {name} is the CA's {path}");
        }

        return problems;
    }

    /// <summary>
    /// Every service runs as its own identity: Strongroom__Identity is its name (all distinct), and
    /// its certificate and key files lie in the folder mounted from its own PKI folder.
    /// </summary>
    public static IReadOnlyList<string> OwnIdentity(ComposeFile file)
    {
        var problems = new List<string>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in CallGraph.Services)
        {
            if (!file.Services.TryGetValue(name, out var s))
            {
                problems.Add($"no {name} service");
                continue;
            }

            var identity = s.Env("Strongroom__Identity");
            if (identity != name)
            {
                problems.Add($"{name} runs as identity '{identity}'");
            }

            if (identity is not null && !seen.TryAdd(identity, name))
            {
                problems.Add($"{name} and {seen[identity]} share the identity {identity}");
            }

            foreach (var key in new[] { "Strongroom__Tls__CertFile", "Strongroom__Tls__KeyFile" })
            {
                var path = s.Env(key);
                var mount = path is null ? null : s.Mounts.FirstOrDefault(m => m.Target.Length > 0 && path.StartsWith(m.Target.TrimEnd('/') + "/", StringComparison.Ordinal));
                if (mount is null || Normalize(mount.Source) != $"{PkiRoot}/{name}")
                {
                    problems.Add($"{name}'s {key} ({path}) does not come from {PkiRoot}/{name}");
                }
            }
        }

        return problems;
    }

    /// <summary>Every container runs non-root (compose <c>user:</c>) with a read-only root filesystem, unprivileged, adding no capability.</summary>
    public static IReadOnlyList<string> NonRootReadOnly(ComposeFile file)
    {
        var problems = new List<string>();
        foreach (var s in file.Services.Values)
        {
            if (!IsNonRootUser(s.User))
            {
                problems.Add($"{s.Name} sets no non-root user (user: '{s.User}')");
            }

            if (!s.ReadOnlyRoot)
            {
                problems.Add($"{s.Name} does not set read_only: true");
            }

            if (s.Privileged || s.CapAdd.Count > 0)
            {
                problems.Add($"{s.Name} is privileged or adds capabilities ({string.Join(", ", s.CapAdd)})");
            }
        }

        return problems;
    }

    /// <summary>Every named volume is declared and used by one service only.</summary>
    public static IReadOnlyList<string> VolumesNotShared(ComposeFile file)
    {
        var problems = new List<string>();
        foreach (var group in file.Services.Values.SelectMany(s => s.Mounts.Where(m => m.IsNamedVolume).Select(m => (Volume: m.Source, Service: s.Name)))
                     .GroupBy(x => x.Volume, StringComparer.Ordinal))
        {
            var users = group.Select(x => x.Service).Distinct(StringComparer.Ordinal).ToList();
            if (users.Count > 1)
            {
                problems.Add($"volume {group.Key} is shared by {string.Join(", ", users)}");
            }

            if (!file.DeclaredVolumes.Contains(group.Key))
            {
                problems.Add($"volume {group.Key} is not declared");
            }
        }

        return problems;
    }

    /// <summary>Each service's stores (…Path settings) live on a named volume of its own.</summary>
    public static IReadOnlyList<string> StoresOnNamedVolumes(ComposeFile file)
    {
        var problems = new List<string>();
        foreach (var s in CallGraph.Services.Where(file.Services.ContainsKey).Select(n => file.Services[n]))
        {
            foreach (var (key, path) in s.Environment.Where(e => (e.Key.EndsWith("StorePath", StringComparison.Ordinal) || e.Key.EndsWith("SqlitePath", StringComparison.Ordinal)
                         || e.Key.EndsWith("StatePath", StringComparison.Ordinal) || e.Key.EndsWith("WorkRoot", StringComparison.Ordinal) || e.Key == "Strongroom__Audit__Path")))
            {
                var mount = s.Mounts.FirstOrDefault(m => path.StartsWith(m.Target.TrimEnd('/') + "/", StringComparison.Ordinal));
                if (mount is null || !mount.IsNamedVolume || mount.ReadOnly)
                {
                    problems.Add($"{s.Name}'s {key} ({path}) is not on a writable named volume");
                }
            }
        }

        return problems;
    }

    /// <summary>The https://service:port addresses in each service's environment (its downstream calls).</summary>
    public static IReadOnlyList<(string Callee, int Port)> Downstream(ComposeService service) =>
        service.Environment.Values.Select(v => Address().Match(v)).Where(m => m.Success)
            .Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>
    /// The services' configured downstream addresses form exactly the call graph of DESIGN §2, each
    /// naming a listener the callee really has.
    /// </summary>
    public static IReadOnlyList<string> CallsMatchCallGraph(ComposeFile file)
    {
        var problems = new List<string>();
        foreach (var name in CallGraph.Services.Where(file.Services.ContainsKey))
        {
            var calls = Downstream(file.Services[name]);
            var configured = calls.Select(c => c.Callee).Where(c => c != name).ToHashSet(StringComparer.Ordinal);
            var expected = CallGraph.Calls.Where(c => c.Caller == name).Select(c => c.Callee).ToHashSet(StringComparer.Ordinal);
            foreach (var extra in configured.Except(expected).Order(StringComparer.Ordinal))
            {
                problems.Add($"{name} is configured to call {extra}, which is not in the call graph");
            }

            foreach (var missing in expected.Except(configured).Order(StringComparer.Ordinal))
            {
                problems.Add($"{name} has no address for {missing}");
            }

            foreach (var (callee, port) in calls.Where(c => file.Services.ContainsKey(c.Callee)))
            {
                var listeners = ListenerPorts(file.Services[callee]);
                if (!listeners.Contains(port))
                {
                    problems.Add($"{name} calls {callee}:{port.ToString(CultureInfo.InvariantCulture)}, not one of {callee}'s mTLS listeners");
                }
            }
        }

        return problems;
    }

    public static IReadOnlySet<int> ListenerPorts(ComposeService service) =>
        new[] { "Strongroom__Listeners__Public", "Strongroom__Listeners__Admin" }
            .Select(service.Env).OfType<string>()
            .Select(v => int.Parse(v[(v.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture))
            .ToHashSet();

    public static bool IsNonRootUser(string? user)
    {
        if (string.IsNullOrWhiteSpace(user))
        {
            return false;
        }

        var name = user.Split(':')[0].Trim();
        return name != "0" && !string.Equals(name, "root", StringComparison.Ordinal);
    }

    /// <summary>A host path without its leading ./ (compose paths are relative to the file).</summary>
    public static string Normalize(string path) => path.StartsWith("./", StringComparison.Ordinal) ? path[2..].TrimEnd('/') : path.TrimEnd('/');

    private static bool IsCaKey(string source) =>
        source == PkiRoot || source == PkiRoot + "/ca" || source.StartsWith(PkiRoot + "/ca/", StringComparison.Ordinal)
        || source.EndsWith("ca.key", StringComparison.Ordinal) || source == "deploy/compose" || source == "." || source == "deploy";

    /// <summary>The words of a path (split at / . - _ :), to find service names in it.</summary>
    private static string[] Segments(string path) => path.Split(['/', '.', '-', '_', ':'], StringSplitOptions.RemoveEmptyEntries);

    private static (int Published, int Target) PublishedPort(string port)
    {
        var parts = port.Split(':');
        if (parts.Length < 2 || !int.TryParse(parts[^2], CultureInfo.InvariantCulture, out var published)
            || !int.TryParse(parts[^1].Split('/')[0], CultureInfo.InvariantCulture, out var target))
        {
            return (-1, -1);
        }

        return (published, target);
    }

    [GeneratedRegex(@"^https://([a-z][a-z0-9-]*):(\d{1,5})/?$")]
    private static partial Regex Address();
}
