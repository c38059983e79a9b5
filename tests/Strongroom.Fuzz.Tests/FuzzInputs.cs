using Strongroom.Fuzz;

namespace Strongroom.Fuzz.Tests;

/// <summary>The checked-in corpus and regression inputs, as copied next to the test assembly.</summary>
internal static class FuzzInputs
{
    public static string CorpusRoot => Path.Combine(AppContext.BaseDirectory, "fuzz", "corpus");

    public static string RegressionsRoot => Path.Combine(AppContext.BaseDirectory, "fuzz", "regressions");

    public static IReadOnlyList<string> Files(string root, string target)
    {
        string dir = Path.Combine(root, target);
        return Directory.Exists(dir)
            ? [.. Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)]
            : [];
    }

    public static TheoryData<string> TargetNames()
    {
        var data = new TheoryData<string>();
        foreach (var target in Targets.All)
        {
            data.Add(target.Name);
        }

        return data;
    }

    public static string Describe(string file, FuzzOutcome outcome) =>
        $"{Path.GetFileName(file)}: {outcome.Crash!.GetType().FullName}: {outcome.Crash.Message}\n{outcome.Crash.StackTrace}";
}
