using System.Xml.Linq;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests.Support;

/// <summary>One project file as the layering rules see it: what it references, by path, framework and package.</summary>
public sealed record ProjectNode(
    string Path,
    IReadOnlyList<string> ProjectReferences,
    IReadOnlyList<string> FrameworkReferences,
    IReadOnlyList<string> PackageReferences)
{
    /// <summary>Parses a project file's text; <paramref name="path"/> is repository-relative with '/' separators.</summary>
    public static ProjectNode Parse(string path, string xml)
    {
        var document = XDocument.Parse(xml);
        IReadOnlyList<string> Includes(string item) =>
            document.Descendants(item).Select(r => (string?)r.Attribute("Include")).OfType<string>().ToList();

        return new ProjectNode(
            path,
            Includes("ProjectReference").Select(Normalize).ToList(),
            Includes("FrameworkReference"),
            Includes("PackageReference"));
    }

    /// <summary><c>$(RepoRoot)libs/X/X.csproj</c> and <c>libs\X\X.csproj</c> both become <c>libs/X/X.csproj</c>.</summary>
    private static string Normalize(string reference) =>
        reference.Replace("$(RepoRoot)", "", StringComparison.Ordinal).Replace('\\', '/');
}

/// <summary>Every project under the folders that hold code, keyed by repository-relative path.</summary>
public sealed class ProjectGraph(IReadOnlyDictionary<string, ProjectNode> projects)
{
    public static readonly string[] Roots = ["libs", "services", "tools", "tests", "bench", "fuzz"];

    public IReadOnlyDictionary<string, ProjectNode> Projects { get; } = projects;

    public static ProjectGraph Load(string repoRoot)
    {
        var projects = new Dictionary<string, ProjectNode>(StringComparer.Ordinal);
        foreach (var root in Roots.Select(r => Path.Combine(repoRoot, r)).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(repoRoot, file).Replace('\\', '/');
                if (!relative.Split('/').Any(part => part is "bin" or "obj" or "node_modules"))
                {
                    projects[relative] = ProjectNode.Parse(relative, File.ReadAllText(file));
                }
            }
        }

        return new ProjectGraph(projects);
    }

    public static ProjectGraph LoadRepository() => Load(RepoPaths.Root);

    /// <summary>The same graph with one project file replaced (or added), for planting a reference.</summary>
    public ProjectGraph With(ProjectNode node)
    {
        var copy = new Dictionary<string, ProjectNode>(Projects, StringComparer.Ordinal) { [node.Path] = node };
        return new ProjectGraph(copy);
    }

    /// <summary>Each project <paramref name="start"/> reaches and the shortest reference path to it (start first).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Reachable(string start)
    {
        var paths = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [start] = [start] };
        var pending = new Queue<string>([start]);
        while (pending.Count > 0)
        {
            var current = pending.Dequeue();
            if (!Projects.TryGetValue(current, out var node))
            {
                continue;
            }

            foreach (var next in node.ProjectReferences.Where(n => !paths.ContainsKey(n)))
            {
                paths[next] = [.. paths[current], next];
                pending.Enqueue(next);
            }
        }

        return paths;
    }
}
