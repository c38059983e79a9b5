using System.Text.RegularExpressions;
using Strongroom.Deployment.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The benchmark has no switch in production code: its edge route and decrypt-only runner live in
/// bench/ hosts (bench/Strongroom.Bench.Edge, bench/Strongroom.Bench.Runner), no production file
/// mentions the bench, and no deployment file names one of the retired settings.
/// </summary>
public sealed partial class BenchSwitchTests
{
    /// <summary>Every file a deployment is made from: compose, the Dockerfile, deploy/ (k8s, compose init, Pulumi) and the services' shipped appsettings.</summary>
    private static IEnumerable<string> DeploymentInputs()
    {
        yield return DeploymentFiles.Compose;
        yield return DeploymentFiles.Dockerfile;
        var deploy = Path.Combine(RepoPaths.Root, "deploy");
        foreach (var file in Directory.EnumerateFiles(deploy, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(deploy, file).Split(Path.DirectorySeparatorChar);
            if (!relative.Any(part => part is "node_modules" or "bin" or "obj"))
            {
                yield return file;
            }
        }

        foreach (var service in Directory.EnumerateDirectories(Path.Combine(RepoPaths.Root, "services")))
        {
            foreach (var file in Directory.EnumerateFiles(service, "appsettings*.json"))
            {
                yield return file;
            }
        }
    }

    // Edge__Bench__Enabled, Edge:Bench:Identity, "Bench": { ... } under Edge, Runner__BenchDecryptOnly, BenchDecryptOnly: true ...
    [GeneratedRegex(@"Bench(__|:|""\s*:)|BenchDecryptOnly|strongroom\.bench\.", RegexOptions.IgnoreCase)]
    private static partial Regex BenchSwitch();

    [Fact]
    public void No_deployment_file_enables_the_edge_bench_route_or_the_runner_decrypt_only_mode()
    {
        var inputs = DeploymentInputs().ToList();
        Assert.Contains(inputs, f => f.EndsWith(Path.Combine("k8s", "edge.yaml"), StringComparison.Ordinal));
        Assert.Contains(inputs, f => f.EndsWith(Path.Combine("runner", "appsettings.json"), StringComparison.Ordinal));
        Assert.Contains(DeploymentFiles.Dockerfile, inputs);

        var offending = inputs
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => BenchSwitch().IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(RepoPaths.Root, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void No_production_source_file_mentions_the_bench()
    {
        var roots = new[] { "services", "libs" }.Select(r => Path.Combine(RepoPaths.Root, r));
        var sources = roots
            .SelectMany(r => Directory.EnumerateFiles(r, "*", SearchOption.AllDirectories))
            .Where(f => !Path.GetRelativePath(RepoPaths.Root, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Where(f => Path.GetExtension(f) is ".cs" or ".csproj" or ".json" or ".proto")
            .Append(DeploymentFiles.Dockerfile)
            .ToList();
        Assert.Contains(sources, f => f.EndsWith(Path.Combine("runner", "Domain", "JobProcessor.cs"), StringComparison.Ordinal));

        var offending = sources
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => l.Text.Contains("bench", StringComparison.OrdinalIgnoreCase))
            .Select(l => $"{Path.GetRelativePath(RepoPaths.Root, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.Empty(offending);
    }

    [Theory]
    [InlineData("edge")]
    [InlineData("runner")]
    public void The_edge_and_runner_images_run_in_production_where_both_switches_are_refused_at_start(string service)
    {
        var image = DockerImages.Built(service);

        Assert.Contains(image.FinalStage, i => i.Keyword == "ENV" && i.Arguments.Split(' ').Contains("DOTNET_ENVIRONMENT=Production", StringComparer.Ordinal));
    }
}
