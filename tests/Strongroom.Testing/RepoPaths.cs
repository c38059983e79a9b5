namespace Strongroom.Testing;

/// <summary>Locates files in the repository so tests never depend on ../shared or the working directory.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string TestData(params string[] parts) =>
        Path.Combine([Root, "tests", "testdata", .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Services.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Services.sln not found above " + AppContext.BaseDirectory);
    }
}
