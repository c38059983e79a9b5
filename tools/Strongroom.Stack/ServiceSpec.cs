namespace Strongroom.Stack;

/// <summary>A project that hosts a service: its repository-relative folder and assembly name.</summary>
public sealed record ServiceHost(string Folder, string AssemblyName);

/// <summary>
/// One service of the local stack: its project, ports and the configuration the launcher passes.
/// Ports are the documented dev ports (74xx) shifted by <see cref="DevLayout.PortOffset"/>, so
/// tests can run a whole stack beside a developer's.
/// </summary>
public sealed record ServiceSpec(string Name, string ProjectFolder, string AssemblyName, int DevPublicPort, int DevAdminPort, Func<DevLayout, IEnumerable<string>> Settings)
{
    public string ProjectPath(DevLayout layout) => Path.Combine(layout.RepoRoot, Host(layout).Folder, Host(layout).AssemblyName + ".csproj");

    public string OutputFolder(DevLayout layout) => Path.Combine(layout.RepoRoot, Host(layout).Folder, "bin", layout.Configuration, "net10.0");

    public string AssemblyPath(DevLayout layout) => Path.Combine(OutputFolder(layout), Host(layout).AssemblyName + ".dll");

    /// <summary>The project that runs this service: its own, unless the layout names another host.</summary>
    public ServiceHost Host(DevLayout layout) => layout.Hosts.TryGetValue(Name, out var host) ? host : new(Path.Combine("services", ProjectFolder), AssemblyName);

    public int PublicPort(DevLayout layout) => layout.Port(DevPublicPort);

    public int AdminPort(DevLayout layout) => layout.Port(DevAdminPort);

    public string PublicAddress(DevLayout layout) => $"https://127.0.0.1:{PublicPort(layout)}";

    public string AdminAddress(DevLayout layout) => $"https://127.0.0.1:{AdminPort(layout)}";

    public static ServiceSpec Kms { get; } = new("kms", "kms", "Strongroom.Kms", 7401, 7411, l =>
    [
        $"--Kms:StorePath={Path.Combine(l.Data("kms"), "kms.store")}",
        // The passphrase file is given to kms alone; no other service's arguments name it.
        $"--Kms:PassphraseFile={l.KmsPassphraseFile}",
        .. l.ExtraSettings("kms"),
    ]);

    public static ServiceSpec KeyService { get; } = new("keyservice", "keyservice", "Strongroom.KeyService", 7402, 7412, l =>
    [
        $"--KeyService:StorePath={Path.Combine(l.Data("keyservice"), "keys.db")}",
        $"--KmsClient:Address=https://127.0.0.1:{l.Port(7411)}",
        $"--KeyService:Publishing:Address=https://127.0.0.1:{l.Port(7404)}",
        $"--KeyService:KeyLog:Address=https://127.0.0.1:{l.Port(7404)}",
        .. l.ExtraSettings("keyservice"),
    ]);

    public static ServiceSpec Storage { get; } = new("storage", "storage", "Strongroom.Storage", 7404, StorageAdminDevPort, l =>
    [
        $"--Storage:SqlitePath={Path.Combine(l.Data("storage"), "storage.db")}",
        $"--Storage:Deployment={Deployment}",
        $"--Storage:ReadOnlyListener=127.0.0.1:{l.Port(StorageJwksDevPort)}",
        $"--Storage:Signer:Address=https://127.0.0.1:{l.Port(7403)}",
        // Client registrations are accepted only when signed by this pinned operator key.
        $"--Storage:OperatorKeys:0={l.OperatorPublicJwk()}",
        .. l.ExtraSettings("storage"),
    ]);

    public static ServiceSpec Signer { get; } = new("signer", "signer", "Strongroom.Signer", 7403, 7413, l =>
    [
        $"--Signer:KeyStorePath={Path.Combine(l.Data("signer"), "keys.db")}",
        $"--Signer:StatePath={Path.Combine(l.Data("signer"), "signer.db")}",
        $"--Signer:Deployment={Deployment}",
        $"--KmsClient:Address=https://127.0.0.1:{l.Port(7411)}",
        $"--Signer:Publishing:Address=https://127.0.0.1:{l.Port(7404)}",
        .. l.ExtraSettings("signer"),
    ]);

    public static ServiceSpec Runner { get; } = new("runner", "runner", "Strongroom.Runner", 7405, 7415, l =>
    [
        $"--Runner:SqlitePath={Path.Combine(l.Data("runner"), "queue.db")}",
        $"--Runner:WorkRoot={Path.Combine(l.Data("runner"), "work")}",
        $"--Runner:KeyService:Address=https://127.0.0.1:{l.Port(7402)}",
        $"--Runner:Signer:Address=https://127.0.0.1:{l.Port(7403)}",
        $"--Runner:Storage:Address=https://127.0.0.1:{l.Port(7404)}",
        // Relative job paths in the runner's appsettings (examples/jobs) resolve against the repository.
        $"--Runner:JobsRoot={l.RepoRoot}",
        .. l.ExtraSettings("runner"),
    ]);

    public static ServiceSpec Edge { get; } = new("edge", "edge", "Strongroom.Edge", 7443, 7453, l =>
    [
        $"--ReverseProxy:Clusters:keyservice:Destinations:keyservice:Address=https://127.0.0.1:{l.Port(7402)}",
        $"--ReverseProxy:Clusters:storage:Destinations:storage:Address=https://127.0.0.1:{l.Port(7404)}",
        $"--ReverseProxy:Clusters:runner:Destinations:runner:Address=https://127.0.0.1:{l.Port(7405)}",
        .. l.ExtraSettings("edge"),
    ]);

    /// <summary>The deployment name in key-log checkpoints (origin <c>strongroom/keylog/dev</c>).</summary>
    public const string Deployment = "dev";

    /// <summary>storage's read-only HTTPS listener for the JWKS and the latest checkpoint (no client certificate).</summary>
    public const int StorageJwksDevPort = 7424;

    public const int StorageAdminDevPort = 7414;

    /// <summary>Every service's admin listener (dev ports).</summary>
    public static IReadOnlyList<(string Service, int Port)> AdminPorts { get; } =
    [
        ("kms", 7411), ("keyservice", 7412), ("signer", 7413), ("storage", StorageAdminDevPort), ("runner", 7415), ("edge", 7453),
    ];

    /// <summary>The services the local stack runs, in start order (dependencies first).</summary>
    public static IReadOnlyList<ServiceSpec> All { get; } = [Kms, Storage, Signer, KeyService, Runner, Edge];
}
