using System.Text.RegularExpressions;
using Strongroom.Deployment.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>The call graph the deployment tests check against is the one the services are configured with.</summary>
public sealed partial class CallGraphTests
{
    // Dev ports: 7401–7405 public, 7411–7415 admin, 7443/7453 the edge (kms methods are all on its admin listener).
    private static readonly Dictionary<int, string> PortOwner = new()
    {
        [7401] = "kms", [7411] = "kms", [7402] = "keyservice", [7412] = "keyservice", [7403] = "signer", [7413] = "signer",
        [7404] = "storage", [7414] = "storage", [7405] = "runner", [7415] = "runner", [7443] = "edge", [7453] = "edge",
    };

    [Theory]
    [InlineData("kms")]
    [InlineData("keyservice")]
    [InlineData("signer")]
    [InlineData("storage")]
    [InlineData("runner")]
    [InlineData("edge")]
    public void Each_services_configured_downstream_calls_are_exactly_its_edges_in_the_call_graph(string service)
    {
        var settings = File.ReadAllText(Path.Combine(RepoPaths.Root, "services", service, "appsettings.json"));
        var configured = Downstream().Matches(settings).Select(m => PortOwner[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)])
            .Where(callee => callee != service)
            .ToHashSet(StringComparer.Ordinal);
        var expected = CallGraph.Calls.Where(c => c.Caller == service).Select(c => c.Callee).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(expected.Order(), configured.Order());
    }

    [GeneratedRegex(@"""https://127\.0\.0\.1:(\d{4})""")]
    private static partial Regex Downstream();
}
