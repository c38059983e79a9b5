namespace Strongroom.Cli.Dev;

/// <summary>One service of the local stack: its project, ports and the configuration the launcher passes.</summary>
public sealed record ServiceSpec(string Name, string ProjectFolder, string AssemblyName, int PublicPort, int AdminPort, Func<DevLayout, IEnumerable<string>> Settings)
{
    public string ProjectPath(DevLayout layout) => Path.Combine(layout.RepoRoot, "services", ProjectFolder, AssemblyName + ".csproj");

    public string OutputFolder(DevLayout layout) => Path.Combine(layout.RepoRoot, "services", ProjectFolder, "bin", "Debug", "net10.0");

    public string AssemblyPath(DevLayout layout) => Path.Combine(OutputFolder(layout), AssemblyName + ".dll");

    public static ServiceSpec Kms { get; } = new("kms", "kms", "Strongroom.Kms", 7401, 7411, l =>
    [
        $"--Kms:StorePath={Path.Combine(l.Data("kms"), "kms.store")}",
        // The passphrase file is given to kms alone; no other service's arguments name it.
        $"--Kms:PassphraseFile={l.KmsPassphraseFile}",
    ]);

    public static ServiceSpec KeyService { get; } = new("keyservice", "keyservice", "Strongroom.KeyService", 7402, 7412, l =>
    [
        $"--KeyService:StorePath={Path.Combine(l.Data("keyservice"), "keys.db")}",
        "--KmsClient:Address=https://127.0.0.1:7411",
    ]);

    public static ServiceSpec Storage { get; } = new("storage", "storage", "Strongroom.Storage", 7404, StorageAdminPort, l =>
    [
        $"--Storage:SqlitePath={Path.Combine(l.Data("storage"), "storage.db")}",
        $"--Storage:Deployment={Deployment}",
        $"--Storage:ReadOnlyListener=127.0.0.1:{StorageJwksPort}",
    ]);

    public static ServiceSpec Signer { get; } = new("signer", "signer", "Strongroom.Signer", 7403, 7413, l =>
    [
        $"--Signer:KeyStorePath={Path.Combine(l.Data("signer"), "keys.db")}",
        $"--Signer:StatePath={Path.Combine(l.Data("signer"), "signer.db")}",
        $"--Signer:Deployment={Deployment}",
        "--KmsClient:Address=https://127.0.0.1:7411",
    ]);

    public static ServiceSpec Edge { get; } = new("edge", "edge", "Strongroom.Edge", 7443, 7453, _ => []);

    /// <summary>The deployment name in key-log checkpoints (origin <c>strongroom/keylog/dev</c>).</summary>
    public const string Deployment = "dev";

    /// <summary>storage's read-only HTTPS listener for the JWKS and the latest checkpoint (no client certificate).</summary>
    public const int StorageJwksPort = 7424;

    public const int StorageAdminPort = 7414;

    /// <summary>Every service's admin listener, running or not yet part of the dev stack.</summary>
    public static IReadOnlyList<(string Service, int Port)> AdminPorts { get; } =
    [
        ("kms", 7411), ("keyservice", 7412), ("signer", 7413), ("storage", StorageAdminPort), ("runner", 7415), ("edge", 7453),
    ];

    /// <summary>The services the local stack runs, in start order (dependencies first).</summary>
    public static IReadOnlyList<ServiceSpec> All { get; } = [Kms, Storage, Signer, KeyService, Edge];
}
