using Strongroom.Deployment.Tests.Support;

namespace Strongroom.Deployment.Tests;

/// <summary>A ProjectReference from one project file to another (repository-relative paths).</summary>
public sealed record ProjectEdge(string From, string To)
{
    public override string ToString() => $"{From} -> {To}";
}

/// <summary>
/// The allowed project graph (docs/DESIGN.md, "Project layering"), checked from the project files
/// themselves: client libraries reach no server hosting, production code and tools reference only libraries,
/// and nothing references the CLI but its own tests and a shrinking allow-list.
/// </summary>
public static class LayeringRules
{
    public const string Hosting = "libs/Strongroom.Hosting/Strongroom.Hosting.csproj";

    public const string Cli = "tools/Strongroom.Cli/Strongroom.Cli.csproj";

    /// <summary>
    /// The server side (Kestrel, health, reflection, authorization). Every other library is one a
    /// client may load (the SDK, KmsClient, KeyPublishing and what they use), so it may not bring
    /// in ASP.NET Core: a new library starts on the client side and moves here only with a reason.
    /// </summary>
    public static readonly IReadOnlySet<string> ServerLibraries = new HashSet<string>(StringComparer.Ordinal)
    {
        Hosting,
        // The gRPC service keyservice and signer both serve on their admin listeners: server code by nature.
        "libs/Strongroom.KeyAdmin/Strongroom.KeyAdmin.csproj",
    };

    /// <summary>The CLI's own tests reference it for good.</summary>
    public static readonly IReadOnlySet<string> CliTestProjects = new HashSet<string>(StringComparer.Ordinal)
    {
        "tests/Strongroom.Cli.Tests/Strongroom.Cli.Tests.csproj",
    };

    /// <summary>
    /// Edges to the CLI that may exist for now. Empty since the stack builder moved to
    /// tools/Strongroom.Stack (tests, bench and fuzz reached the CLI only for DevStack); an entry
    /// whose edge is gone fails a test until it is deleted, so the list can only shrink.
    /// </summary>
    public static readonly IReadOnlySet<ProjectEdge> CliAllowList = new HashSet<ProjectEdge>();

    /// <summary>What in this project file is ASP.NET Core (the shared framework or a server package); null if nothing.</summary>
    public static string? AspNetCoreReference(ProjectNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.FrameworkReferences.FirstOrDefault(f => f.Equals("Microsoft.AspNetCore.App", StringComparison.OrdinalIgnoreCase))
            ?? node.PackageReferences.FirstOrDefault(p =>
                p.StartsWith("Microsoft.AspNetCore.", StringComparison.OrdinalIgnoreCase)
                || p.StartsWith("Grpc.AspNetCore", StringComparison.OrdinalIgnoreCase)
                || p.StartsWith("Yarp.", StringComparison.OrdinalIgnoreCase));
    }

    public static IReadOnlyList<ProjectEdge> Edges(ProjectGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Projects.Values.SelectMany(p => p.ProjectReferences.Select(r => new ProjectEdge(p.Path, r))).ToList();
    }

    /// <summary>Every forbidden edge or reach in <paramref name="graph"/>, one readable line each; empty when the graph is honest.</summary>
    public static IReadOnlyList<string> Violations(ProjectGraph graph, IReadOnlySet<ProjectEdge> cliAllowList)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(cliAllowList);
        var violations = new List<string>();
        foreach (var project in graph.Projects.Values.OrderBy(p => p.Path, StringComparer.Ordinal))
        {
            if (IsClientLibrary(project.Path))
            {
                violations.AddRange(ServerReach(graph, project.Path));
            }

            foreach (var reference in project.ProjectReferences)
            {
                var edge = new ProjectEdge(project.Path, reference);
                if (!graph.Projects.ContainsKey(reference))
                {
                    violations.Add($"{edge}: no such project");
                }

                if (ProductionProblem(project.Path, reference) is { } problem)
                {
                    violations.Add($"{edge}: {problem}");
                }

                if (reference == Cli && !CliTestProjects.Contains(project.Path) && !cliAllowList.Contains(edge))
                {
                    violations.Add($"{edge}: nothing but the CLI's own tests may reference the CLI");
                }
            }
        }

        return violations;
    }

    private static bool IsClientLibrary(string path) => Segment(path, 0) == "libs" && !ServerLibraries.Contains(path);

    /// <summary>Server hosting or ASP.NET Core anywhere in a client library's closure (framework references flow to every referrer).</summary>
    private static IEnumerable<string> ServerReach(ProjectGraph graph, string library)
    {
        foreach (var (reached, path) in graph.Reachable(library).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            // Reported once, at the first server library on the way; what lies behind it is its business.
            if (path.Take(path.Count - 1).Any(ServerLibraries.Contains))
            {
                continue;
            }

            var via = string.Join(" -> ", path);
            if (ServerLibraries.Contains(reached))
            {
                yield return $"{via}: a client library must not reference server hosting (use libs/Strongroom.Transport)";
            }
            else if (graph.Projects.TryGetValue(reached, out var node) && AspNetCoreReference(node) is { } aspNet)
            {
                yield return $"{via}: a client library must not bring in ASP.NET Core ({aspNet})";
            }
        }
    }

    /// <summary>Libraries reference only libraries, tools only libraries and tools; a service references libraries and nothing of another service.</summary>
    private static string? ProductionProblem(string from, string to)
    {
        var fromRoot = Segment(from, 0);
        var toRoot = Segment(to, 0);
        if (fromRoot is not ("libs" or "services" or "tools") || toRoot == "libs")
        {
            return null;
        }

        if (fromRoot == "libs")
        {
            return toRoot == "services" ? "a library must not reference a service" : $"a library must not reference {toRoot}/";
        }

        if (fromRoot == "tools")
        {
            // The CLI and the stack builder start services as processes; they never link their code.
            // The CLI builds on the stack builder (tools/Strongroom.Stack); the CLI itself is checked below.
            return toRoot == "tools" ? null : $"a tool must not reference {toRoot}/";
        }

        if (toRoot == "services")
        {
            return Segment(from, 1) == Segment(to, 1) ? null : "a service must not reference another service's project";
        }

        return $"a service must not reference {toRoot}/";
    }

    private static string Segment(string path, int index)
    {
        var parts = path.Split('/');
        return index < parts.Length ? parts[index] : "";
    }
}
