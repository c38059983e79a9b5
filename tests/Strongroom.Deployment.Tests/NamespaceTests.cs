using System.Text.RegularExpressions;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// Namespaces say where a type lives: in libs/, services/, tools/ and bench/, every C# file's
/// namespace is its project's root namespace plus its folders (Crypto/Sqooler → Strongroom.Crypto.Sqooler).
/// </summary>
public sealed partial class NamespaceTests
{
    [Fact]
    public void Every_source_file_s_namespace_is_its_project_root_namespace_plus_its_folders()
    {
        var files = SourceFiles().ToList();
        Assert.Contains(files, f => f.Path.EndsWith(Path.Combine("Crypto", "Sqooler", "PythonJson.cs"), StringComparison.Ordinal));

        var wrong = files
            .Select(f => (f.Path, Declared: DeclaredNamespace(f.Path), f.Expected))
            .Where(f => f.Declared is not null && f.Declared != f.Expected)
            .Select(f => $"{Path.GetRelativePath(RepoPaths.Root, f.Path)}: namespace {f.Declared}, folder says {f.Expected}")
            .ToList();

        Assert.Empty(wrong);
    }

    [Fact]
    public void The_check_reports_a_file_whose_namespace_does_not_follow_its_folder()
    {
        var planted = Path.Combine(Path.GetTempPath(), "strongroom-ns-" + Guid.NewGuid().ToString("N") + ".cs");
        File.WriteAllText(planted, "namespace Strongroom.Crypto;\n\npublic static class Planted;\n");
        try
        {
            Assert.Equal("Strongroom.Crypto", DeclaredNamespace(planted));
            Assert.NotEqual(ExpectedNamespace("Strongroom.Crypto", ["Sqooler"]), DeclaredNamespace(planted));
        }
        finally
        {
            File.Delete(planted);
        }
    }

    private static IEnumerable<(string Path, string Expected)> SourceFiles()
    {
        foreach (var project in new[] { "libs", "services", "tools", "bench" }
                     .SelectMany(top => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, top), "*.csproj", SearchOption.AllDirectories)))
        {
            var projectDir = Path.GetDirectoryName(project)!;
            var root = RootNamespace().Match(File.ReadAllText(project)) is { Success: true } m ? m.Groups[1].Value : Path.GetFileNameWithoutExtension(project);
            foreach (var file in Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories))
            {
                var folders = Path.GetRelativePath(projectDir, Path.GetDirectoryName(file)!).Split(Path.DirectorySeparatorChar).Where(p => p != ".").ToArray();
                if (folders.Any(p => p is "bin" or "obj"))
                {
                    continue;
                }

                yield return (file, ExpectedNamespace(root, folders));
            }
        }
    }

    private static string ExpectedNamespace(string root, IEnumerable<string> folders) => string.Join('.', new[] { root }.Concat(folders));

    private static string? DeclaredNamespace(string file) => FileScopedNamespace().Match(File.ReadAllText(file)) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"<RootNamespace>([\w.]+)</RootNamespace>")]
    private static partial Regex RootNamespace();

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex FileScopedNamespace();
}
