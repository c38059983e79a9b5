using System.Net;
using Strongroom.Pki;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Strongroom.Edge.Routing;

/// <summary>
/// Judges every route and cluster YARP loads, at start and on every configuration reload. At start
/// a refusal stops the edge; on reload YARP keeps the previous configuration. So configuration can
/// only choose among the compiled client-facing methods, each sent to the backend it belongs to,
/// over TLS to a cluster whose expected server identity is named.
/// </summary>
public sealed class EdgeRouteFilter(RoutableMethods routable) : IProxyConfigFilter
{
    /// <summary>Cluster metadata key naming the service identity the backend's certificate must carry.</summary>
    public const string IdentityMetadataKey = "Identity";

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        var identity = BackendIdentity(cluster);
        if (cluster.Destinations is null || cluster.Destinations.Count == 0)
        {
            throw Refuse($"cluster '{cluster.ClusterId}' has no destinations");
        }

        foreach (var (name, destination) in cluster.Destinations)
        {
            // Plain HTTP would send the relayed client identity to whoever answers, unauthenticated.
            if (!Uri.TryCreate(destination.Address, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttps)
            {
                throw Refuse($"destination '{name}' of cluster '{cluster.ClusterId}' is not an https:// address");
            }
        }

        if (cluster.HttpClient?.DangerousAcceptAnyServerCertificate == true)
        {
            throw Refuse($"cluster '{cluster.ClusterId}' may not accept any server certificate; it must be {identity}");
        }

        // gRPC needs HTTP/2 end to end; never let a downgrade negotiate HTTP/1.1.
        var request = (cluster.HttpRequest ?? new ForwarderRequestConfig()) with
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        return ValueTask.FromResult(cluster with { HttpRequest = request });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        var path = route.Match.Path;
        if (!routable.TryGetBackend(path, out var owner))
        {
            throw Refuse($"route '{route.RouteId}' names '{path ?? "(every path)"}', which is not a client-facing method; "
                + "the edge routes only: " + string.Join(", ", routable.All.Keys.Order(StringComparer.Ordinal)));
        }

        if (cluster is null)
        {
            throw Refuse($"route '{route.RouteId}' names an unknown cluster '{route.ClusterId}'");
        }

        var identity = BackendIdentity(cluster);
        if (identity != owner)
        {
            throw Refuse($"route '{route.RouteId}' sends {path} to cluster '{cluster.ClusterId}' ({identity}); it is served by {owner}");
        }

        // Configured transforms could set or keep the relayed identity header; the edge's own transform is the only one.
        if (route.Transforms is { Count: > 0 })
        {
            throw Refuse($"route '{route.RouteId}' may not configure transforms");
        }

        // gRPC calls are POSTs; nothing else is forwarded.
        return ValueTask.FromResult(route with { Match = route.Match with { Methods = [HttpMethods.Post] } });
    }

    /// <summary>The service identity a cluster's backend must present; only services that own routable methods qualify.</summary>
    public WorkloadIdentity BackendIdentity(ClusterConfig cluster)
    {
        var identity = NamedIdentity(cluster.Metadata, cluster.ClusterId);
        if (!routable.All.Values.Contains(identity))
        {
            throw Refuse($"cluster '{cluster.ClusterId}' names {identity}, which serves no client-facing method");
        }

        return identity;
    }

    /// <summary>The identity a cluster's metadata names (checked against the routable methods when the configuration is loaded).</summary>
    public static WorkloadIdentity NamedIdentity(IReadOnlyDictionary<string, string>? metadata, string clusterId)
    {
        if (metadata is null || !metadata.TryGetValue(IdentityMetadataKey, out var value) || string.IsNullOrWhiteSpace(value))
        {
            throw Refuse($"cluster '{clusterId}' has no Metadata:{IdentityMetadataKey} naming the service its certificate must carry");
        }

        WorkloadIdentity identity;
        try
        {
            identity = WorkloadIdentity.ParseShort(value);
        }
        catch (FormatException)
        {
            throw Refuse($"cluster '{clusterId}' names '{value}', which is not a workload identity");
        }

        return identity;
    }

    private static InvalidOperationException Refuse(string problem) =>
        new("refusing the edge's proxy configuration: " + problem);
}
