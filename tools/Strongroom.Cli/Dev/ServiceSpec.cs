namespace Strongroom.Cli.Dev;

/// <summary>One service of the local stack: its project, ports and the configuration the launcher passes.</summary>
public sealed record ServiceSpec(string Name, string ProjectFolder, string AssemblyName, int PublicPort, int? AdminPort)
{
    public string ProjectPath(DevLayout layout) => Path.Combine(layout.RepoRoot, "services", ProjectFolder, AssemblyName + ".csproj");

    public string OutputFolder(DevLayout layout) => Path.Combine(layout.RepoRoot, "services", ProjectFolder, "bin", "Debug", "net10.0");

    public string AssemblyPath(DevLayout layout) => Path.Combine(OutputFolder(layout), AssemblyName + ".dll");

    /// <summary>The services the local stack runs, in start order (dependencies first).</summary>
    public static IReadOnlyList<ServiceSpec> All { get; } =
    [
        new("kms", "kms", "Strongroom.Kms", 7401, 7411),
    ];
}
