namespace Strongroom.Testing;

/// <summary>
/// Prerequisites a test needs from the machine (node packages, PostgreSQL, bubblewrap).
/// Locally a missing prerequisite skips the test with the reason; under CI (CI=true) it fails,
/// so a required suite can never be skipped silently.
/// </summary>
public static class Requirements
{
    public static bool InCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void Require(bool condition, string reason)
    {
        if (condition)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail("required in CI: " + reason);
        }

        Assert.Skip(reason);
    }

    public static string NodeModules => Path.Combine(RepoPaths.Root, "tests", "node", "node_modules");

    /// <summary>Requires that `npm ci` ran in tests/node and returns the path of an npm package there.</summary>
    public static string RequireNodePackage(string package)
    {
        var path = Path.Combine(NodeModules, package);
        Require(Directory.Exists(path), $"npm package {package} is not installed (run: npm ci --prefix tests/node)");
        return path;
    }
}
