using Strongroom.Stack;

namespace Strongroom.Cli.Tests;

/// <summary>Which build of the services DevStack launches: Debug for `dev up`, Release when asked (the benchmark).</summary>
public sealed class DevLayoutConfigurationTests
{
    [Fact]
    public void DevUpLaunchesDebugBuildsByDefault()
    {
        var layout = new DevLayout("/repo", "/state");

        Assert.Equal("Debug", layout.Configuration);
        Assert.Equal(Path.Combine("/repo", "services", "runner", "bin", "Debug", "net10.0", "Strongroom.Runner.dll"), ServiceSpec.Runner.AssemblyPath(layout));
    }

    [Fact]
    public void ReleaseLayoutLaunchesEveryServiceFromItsReleaseOutput()
    {
        var layout = new DevLayout("/repo", "/state", 0, "Release");

        Assert.All(ServiceSpec.All, spec => Assert.Equal(
            Path.Combine("/repo", "services", spec.ProjectFolder, "bin", "Release", "net10.0"), spec.OutputFolder(layout)));
    }

    [Theory]
    [InlineData("release")]
    [InlineData("")]
    [InlineData("../Debug")]
    public void AnythingButDebugOrReleaseIsRefused(string configuration) =>
        Assert.Throws<ArgumentException>(() => new DevLayout("/repo", "/state", 0, configuration));
}
