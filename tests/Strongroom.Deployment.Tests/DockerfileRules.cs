using System.Text.RegularExpressions;
using System.Xml.Linq;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>What every Strongroom Dockerfile must do; each rule returns its violations.</summary>
public static partial class DockerfileRules
{
    public const string SdkImage = "mcr.microsoft.com/dotnet/sdk:10.0";

    /// <summary>Files restore reads besides project files; copied before the restore.</summary>
    private static readonly string[] RestoreInputs = ["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig", "protos/"];

    /// <summary>Multi-stage: built in the SDK image, run in a runtime image without the SDK.</summary>
    public static IReadOnlyList<string> MultiStage(DockerfileText d, string runtimeImage)
    {
        var froms = d.All("FROM").Select(f => f.Arguments.Split(' ')[0]).ToList();
        var problems = new List<string>();
        if (froms.Count < 2)
        {
            problems.Add($"{d.Path}: {froms.Count} FROM; a build stage and a runtime stage needed");
        }

        if (froms.Count == 0 || froms[0] != SdkImage)
        {
            problems.Add($"{d.Path}: the build stage is not {SdkImage}");
        }

        if (froms.Count == 0 || froms[^1] != runtimeImage)
        {
            problems.Add($"{d.Path}: the final stage is {froms.LastOrDefault()}, not {runtimeImage}");
        }

        return problems;
    }

    /// <summary>
    /// The restore layer: before <c>dotnet restore</c> only restore inputs and project files (paths
    /// kept) are copied: every project of the published project's reference closure, and besides
    /// them only projects another image needs (<paramref name="sharedProjects"/>: the layers are
    /// shared); then the sources; then <c>dotnet publish -c Release --no-restore -o /app</c> of the
    /// same project (its file, or its folder when that holds no other project file).
    /// </summary>
    public static IReadOnlyList<string> RestoreLayer(DockerfileText d, string project, IReadOnlySet<string> sharedProjects)
    {
        var problems = new List<string>();
        var restore = d.Run("dotnet restore ");
        var publish = d.Run("dotnet publish ");
        if (restore is null || publish is null)
        {
            return [$"{d.Path}: needs RUN dotnet restore and RUN dotnet publish"];
        }

        var restored = restore.Arguments["dotnet restore ".Length..];
        if (!Names(restored, project))
        {
            problems.Add($"{d.Path}: restores '{restored}', not {project}");
        }

        if (publish.Arguments != $"dotnet publish {restored} -c Release --no-restore -o /app" || !Names(restored, project))
        {
            problems.Add($"{d.Path}: publish line '{publish.Arguments}' is not 'dotnet publish {project} -c Release --no-restore -o /app'");
        }

        var beforeRestore = d.CopySources().Where(c => c.Copy.Index < restore.Index).ToList();
        foreach (var (copy, source) in beforeRestore.Where(c => !c.Source.EndsWith(".csproj", StringComparison.Ordinal) && !RestoreInputs.Contains(c.Source, StringComparer.Ordinal)))
        {
            problems.Add($"{d.Path}: '{source}' is copied before the restore (only project files and restore inputs may be: a source edit would re-run restore)");
        }

        foreach (var (copy, source) in beforeRestore.Where(c => c.Source.EndsWith(".csproj", StringComparison.Ordinal)))
        {
            var target = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
            if (target != source[..(source.LastIndexOf('/') + 1)])
            {
                problems.Add($"{d.Path}: {source} is copied to {target}, not its own folder (ProjectReference paths would break)");
            }
        }

        var copiedProjects = beforeRestore.Select(c => c.Source).Where(s => s.EndsWith(".csproj", StringComparison.Ordinal)).SelectMany(Expand).ToHashSet(StringComparer.Ordinal);
        var closure = ProjectClosure(project);
        foreach (var missing in closure.Except(copiedProjects).Order(StringComparer.Ordinal))
        {
            problems.Add($"{d.Path}: {missing} is referenced but not copied before the restore");
        }

        foreach (var extra in copiedProjects.Except(closure).Except(sharedProjects).Order(StringComparer.Ordinal))
        {
            problems.Add($"{d.Path}: {extra} is copied for the restore but no image references it");
        }

        foreach (var input in RestoreInputs.Where(i => !beforeRestore.Any(c => c.Source == i)))
        {
            problems.Add($"{d.Path}: {input} is not copied before the restore");
        }

        var sourcesCopied = d.CopySources().Where(c => c.Copy.Index > restore.Index && c.Copy.Index < publish.Index).Select(c => c.Source).ToList();
        foreach (var folder in closure.Select(p => p[..(p.LastIndexOf('/') + 1)]))
        {
            if (!sourcesCopied.Any(s => folder.StartsWith(s.EndsWith('/') ? s : s + "/", StringComparison.Ordinal)))
            {
                problems.Add($"{d.Path}: the sources of {folder} are not copied between restore and publish");
            }
        }

        return problems;

        // dotnet restore/publish take a project file, or a folder holding exactly one.
        static bool Names(string argument, string project) =>
            argument == project
            || (argument.TrimEnd('/') == System.IO.Path.GetDirectoryName(project)?.Replace('\\', '/') && Expand(argument.TrimEnd('/') + "/*.csproj").SequenceEqual([project]));
    }

    /// <summary>
    /// The data folder: /var/lib/strongroom/<paramref name="service"/>, created in the image, owned by
    /// the image's user and 0700, with the audit log in it and the service's identity set; so a
    /// new named volume takes that owner and mode over and no other uid can read the store.
    /// </summary>
    public static IReadOnlyList<string> DataFolder(DockerfileText d, string service)
    {
        var folder = "/var/lib/strongroom/" + service;
        var commands = d.FinalStage.Where(i => i.Keyword == "RUN").SelectMany(r => r.Arguments.Split("&&", StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
        var env = d.FinalStage.Where(i => i.Keyword == "ENV").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        string[] expected =
        [
            $"mkdir -p {folder}", $"chown {d.FinalUser} {folder}", $"chmod 0700 {folder}",
            $"Strongroom__Audit__Path={folder}/audit.log", $"Strongroom__Identity={service}",
        ];
        return expected.Where(e => !commands.Contains(e) && !env.Contains(e)).Select(e => $"{d.Path}: the final stage lacks '{e}'").ToList();
    }

    /// <summary>The final stage copies the published app into /app and starts the project's assembly from it.</summary>
    public static IReadOnlyList<string> StartsAssembly(DockerfileText d, string assembly)
    {
        var problems = new List<string>();
        var copiesApp = d.FinalStage.Any(c => c.Keyword == "COPY" && c.Arguments.StartsWith("--from=", StringComparison.Ordinal)
            && (c.Arguments.EndsWith(" /app /app/", StringComparison.Ordinal) || (c.Arguments.EndsWith(" /app ./", StringComparison.Ordinal) && WorkdirAt(c) == "/app")));
        if (!copiesApp)
        {
            problems.Add($"{d.Path}: the final stage does not copy the published /app into /app");
        }

        var entry = d.FinalStage.LastOrDefault(i => i.Keyword == "ENTRYPOINT")?.Arguments;
        if (entry != $"[\"dotnet\", \"/app/{assembly}.dll\"]")
        {
            problems.Add($"{d.Path}: ENTRYPOINT is '{entry}', not [\"dotnet\", \"/app/{assembly}.dll\"]");
        }

        return problems;

        string? WorkdirAt(DockerInstruction copy) => d.FinalStage.LastOrDefault(i => i.Keyword == "WORKDIR" && i.Index < copy.Index)?.Arguments;
    }

    /// <summary>The image EXPOSEs exactly the ports its service listens on beyond loopback.</summary>
    public static IReadOnlyList<string> Exposes(DockerfileText d, IEnumerable<string> ports)
    {
        var exposed = d.FinalStage.Where(i => i.Keyword == "EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Order(StringComparer.Ordinal).ToList();
        var expected = ports.Distinct().Order(StringComparer.Ordinal).ToList();
        return exposed.SequenceEqual(expected) ? [] : [$"{d.Path}: EXPOSE {string.Join(' ', exposed)}, not {string.Join(' ', expected)}"];
    }

    /// <summary>Every build arg given is declared by the image (Docker only warns about the rest and builds with the defaults).</summary>
    public static IReadOnlyList<string> BuildArgsDeclared(DockerfileText image, IReadOnlyDictionary<string, string> buildArgs) =>
        buildArgs.Keys.Where(k => !image.DeclaredArgs.Contains(k)).Order(StringComparer.Ordinal).Select(k => $"{image.Path}: build arg {k} is declared by no stage it builds").ToList();

    /// <summary>The image runs as a non-root user.</summary>
    public static IReadOnlyList<string> NonRoot(DockerfileText d) =>
        ComposeRules.IsNonRootUser(d.FinalUser) ? [] : [$"{d.Path}: final USER is '{d.FinalUser}', not a non-root user"];

    /// <summary>A HEALTHCHECK probing the service's loopback /healthz listener, which the image enables.</summary>
    public static IReadOnlyList<string> HealthCheck(DockerfileText d)
    {
        var health = d.FinalStage.LastOrDefault(i => i.Keyword == "HEALTHCHECK");
        if (health is null || health.Arguments == "NONE")
        {
            return [$"{d.Path}: no HEALTHCHECK"];
        }

        var url = HealthUrl().Match(health.Arguments);
        if (!url.Success)
        {
            return [$"{d.Path}: HEALTHCHECK '{health.Arguments}' does not probe http://127.0.0.1:PORT/healthz"];
        }

        var listener = "Strongroom__Listeners__Health=127.0.0.1:" + url.Groups[1].Value;
        return d.FinalStage.Any(i => i.Keyword == "ENV" && i.Arguments.Split(' ').Contains(listener, StringComparer.Ordinal))
            ? []
            : [$"{d.Path}: the HEALTHCHECK probes port {url.Groups[1].Value} but the image does not set {listener}"];
    }

    /// <summary>Every COPY source exists in the repository (a wildcard matches a file) and is not excluded from the build context by .dockerignore.</summary>
    public static IReadOnlyList<string> CopySourcesExist(DockerfileText d, string repoRoot, IReadOnlyList<string> dockerIgnore)
    {
        var problems = new List<string>();
        foreach (var (_, source) in d.CopySources())
        {
            var files = Expand(source, repoRoot);
            if (files.Count == 0)
            {
                problems.Add($"{d.Path}: COPY source {source} does not exist");
            }

            foreach (var pattern in files.Select(f => Ignored(f, dockerIgnore)).OfType<string>().Distinct())
            {
                problems.Add($"{d.Path}: COPY source {source} is excluded by .dockerignore ({pattern})");
            }
        }

        return problems;
    }

    /// <summary>
    /// The repository paths a COPY source names: itself if it exists, or for a wildcard in its last
    /// segment (all COPY's wildcards keep of the path is that folder) the files matching it.
    /// </summary>
    public static IReadOnlyList<string> Expand(string source) => Expand(source, RepoPaths.Root);

    private static List<string> Expand(string source, string repoRoot)
    {
        var slash = source.LastIndexOf('/');
        var (folder, name) = (source[..(slash + 1)], source[(slash + 1)..]);
        if (!name.Contains('*', StringComparison.Ordinal))
        {
            var full = Path.Combine(repoRoot, source);
            return File.Exists(full) || Directory.Exists(full) ? [source] : [];
        }

        var directory = Path.Combine(repoRoot, folder);
        return Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, name).Select(f => folder + Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>The .dockerignore pattern that excludes <paramref name="path"/> or a folder above it, if any.</summary>
    public static string? Ignored(string path, IReadOnlyList<string> patterns)
    {
        var parts = path.TrimEnd('/').Split('/');
        foreach (var pattern in patterns.Select(p => p.TrimEnd('/')))
        {
            var regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$");
            for (var n = 1; n <= parts.Length; n++)
            {
                if (regex.IsMatch(string.Join('/', parts[..n])))
                {
                    return pattern;
                }
            }
        }

        return null;
    }

    public static IReadOnlyList<string> DockerIgnorePatterns(string repoRoot) =>
        File.ReadAllLines(Path.Combine(repoRoot, ".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    /// <summary>The project and every project it references, transitively (repository-relative paths).</summary>
    public static IReadOnlySet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            var p = pending.Pop();
            if (!seen.Add(p))
            {
                continue;
            }

            var xml = XDocument.Load(Path.Combine(RepoPaths.Root, p));
            foreach (var reference in xml.Descendants("ProjectReference").Select(r => (string?)r.Attribute("Include")).OfType<string>())
            {
                pending.Push(reference.Replace("$(RepoRoot)", "", StringComparison.Ordinal).Replace('\\', '/'));
            }
        }

        return seen;
    }

    /// <summary>The assembly a project builds (AssemblyName, else the project file's name).</summary>
    public static string AssemblyName(string project) =>
        XDocument.Load(Path.Combine(RepoPaths.Root, project)).Descendants("AssemblyName").FirstOrDefault()?.Value
        ?? Path.GetFileNameWithoutExtension(project);

    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)/healthz")]
    private static partial Regex HealthUrl();
}
