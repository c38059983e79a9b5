using System.Text.RegularExpressions;
using Strongroom.Edge.Routing;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Edge.Tests;

/// <summary>The compiled allow-list is the contract's list of edge-routed methods, and nothing more.</summary>
public sealed partial class AllowListTests
{
    [Fact]
    public void The_compiled_allow_list_is_exactly_the_methods_docs_contracts_marks_edge_routed()
    {
        var table = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docs", "contracts.md"));
        var edgeRouted = table
            .Select(line => ContractRow().Match(line))
            .Where(m => m.Success && m.Groups["listener"].Value.Contains("edge-routed", StringComparison.Ordinal))
            .Select(m => "/" + m.Groups["method"].Value)
            .ToHashSet();

        Assert.NotEmpty(edgeRouted);
        Assert.Equal(edgeRouted.Order(StringComparer.Ordinal), ClientFacingMethods.All.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void No_allow_listed_method_belongs_to_an_admin_service_the_kms_the_signer_or_the_edge()
    {
        foreach (var (path, backend) in ClientFacingMethods.All)
        {
            var service = path[1..path.LastIndexOf('/')];
            Assert.False(service.EndsWith("Admin", StringComparison.Ordinal), path);
            Assert.False(service.StartsWith("google.cloud.kms", StringComparison.Ordinal), path);
            Assert.Contains(backend, new[] { WorkloadIdentity.KeyService, WorkloadIdentity.Storage, WorkloadIdentity.Runner });
        }
    }

    [Fact]
    public void Each_allow_listed_method_is_sent_to_the_service_whose_package_declares_it()
    {
        foreach (var (path, backend) in ClientFacingMethods.All)
        {
            Assert.StartsWith($"/strongroom.{backend.Path}.v1.", path, StringComparison.Ordinal);
        }
    }

    // | `strongroom.storage.v1.Storage/GetJwks` | callers | public, edge-routed |
    [GeneratedRegex(@"^\|\s*`(?<method>[a-z0-9.]+\.[A-Za-z]+/[A-Za-z]+)`\s*\|[^|]*\|\s*(?<listener>[^|]*)\|\s*$")]
    private static partial Regex ContractRow();
}
