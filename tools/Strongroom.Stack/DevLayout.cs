using Strongroom.Crypto;

namespace Strongroom.Stack;

/// <summary>Where the local stack keeps its state: one folder, <c>.dev/</c>, reset with <c>strongroom dev reset</c>.</summary>
public sealed class DevLayout(string repoRoot, string stateRoot, int portOffset = 0, string configuration = DevLayout.DefaultConfiguration)
{
    /// <summary>What `dev up` builds and runs: the Debug build of every service.</summary>
    public const string DefaultConfiguration = "Debug";

    public string RepoRoot { get; } = Path.GetFullPath(repoRoot);

    public string StateRoot { get; } = Path.GetFullPath(stateRoot);

    /// <summary>Added to every documented dev port (74xx); 0 for the developer's stack.</summary>
    public int PortOffset { get; } = portOffset;

    /// <summary>
    /// The build configuration whose output (services/*/bin/&lt;configuration&gt;) is built and launched:
    /// Debug for `dev up` and the tests, Release for the benchmark's full runs.
    /// </summary>
    public string Configuration { get; } = configuration is "Debug" or "Release"
        ? configuration
        : throw new ArgumentException("the build configuration must be Debug or Release", nameof(configuration));

    public string Pki => Path.Combine(StateRoot, "pki");

    public string Secrets => Path.Combine(StateRoot, "secrets");

    public string Logs => Path.Combine(StateRoot, "logs");

    /// <summary>Experimenters' key folders (client/&lt;name&gt;).</summary>
    public string Clients => Path.Combine(StateRoot, "clients");

    /// <summary>The kms operator passphrase (0600), generated on first start.</summary>
    public string KmsPassphraseFile => Path.Combine(Secrets, "kms-passphrase");

    /// <summary>operator/admin's Ed25519 seed (0600), whose public key storage pins for client registrations.</summary>
    public string OperatorKeyFile => Path.Combine(Secrets, "operator-admin.ed25519");

    /// <summary>Extra service settings (tests tune limits through these); none for `dev up`.</summary>
    public Dictionary<string, List<string>> Overrides { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A host project started instead of a service's own (repository-relative folder and assembly
    /// name): a harness composing that service in code with additions of its own. None for `dev up`.
    /// </summary>
    public Dictionary<string, ServiceHost> Hosts { get; } = new(StringComparer.Ordinal);

    public string Data(string service) => Path.Combine(StateRoot, "data", service);

    public int Port(int devPort) => devPort + PortOffset;

    public string EdgeAddress => $"https://127.0.0.1:{Port(7443)}";

    public IEnumerable<string> ExtraSettings(string service) => Overrides.TryGetValue(service, out var list) ? list : [];

    public Ed25519KeyPair LoadOperatorKey()
    {
        var seed = Convert.FromBase64String(File.ReadAllText(OperatorKeyFile).Trim());
        try
        {
            return Ed25519KeyPair.ImportSeed(seed);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
        }
    }

    public string OperatorPublicJwk()
    {
        using var key = LoadOperatorKey();
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        return jwk.ToJson();
    }

    /// <summary>Finds the repository (the folder holding Services.sln) from the working directory upwards.</summary>
    public static string FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Services.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run this from inside the Strongroom repository (no Services.sln above " + start + ")");
    }
}
