using System.Net.Http.Headers;
using Strongroom.Edge.Guard;
using Strongroom.Hosting.Authorization;
using Yarp.ReverseProxy.Transforms;

namespace Strongroom.Edge.Routing;

/// <summary>
/// The one place the relayed identity is written: every reserved header copied from the caller is
/// removed from the outgoing request, then the client identity validated at the TLS handshake is set.
/// </summary>
public static class ClientIdentityTransform
{
    public static ValueTask Apply(RequestTransformContext context)
    {
        // The guard sets this for every request it lets through to a route; without it nothing is forwarded.
        var client = EdgeClient.Get(context.HttpContext)
            ?? throw new InvalidOperationException("no validated client identity for a forwarded request");

        Strip(context.ProxyRequest.Headers);
        if (context.ProxyRequest.Content is { } content)
        {
            Strip(content.Headers);
        }

        context.ProxyRequest.Headers.Add(RpcAuthorizer.ForwardedIdentityHeader, client.ToString());
        return ValueTask.CompletedTask;
    }

    private static void Strip(HttpHeaders headers)
    {
        var reserved = headers
            .Where(h => h.Key.StartsWith(EdgeGuardMiddleware.ReservedHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Key)
            .ToList();
        foreach (var name in reserved)
        {
            headers.Remove(name);
        }
    }
}
