using Grpc.Core;
using Strongroom.Edge.Guard;
using Strongroom.Hosting.Audit;
using Yarp.ReverseProxy.Forwarder;

namespace Strongroom.Edge.Routing;

/// <summary>Steps YARP runs for a matched route, before and after forwarding.</summary>
public static class ProxyPipeline
{
    /// <summary>
    /// Forwards only an exact, case-sensitive routable method path on a gRPC POST from a
    /// validated client. ASP.NET route matching ignores case and a trailing slash; the edge does not.
    /// </summary>
    public static async Task ExactMethodOnly(HttpContext context, Func<Task> next)
    {
        var path = context.Request.Path.Value;
        var route = context.GetRouteModel().Config;
        var exact = string.Equals(path, route.Match.Path, StringComparison.Ordinal)
            && context.RequestServices.GetRequiredService<RoutableMethods>().All.ContainsKey(path!)
            && context.Request.PathBase.Value is null or ""
            && HttpMethods.IsPost(context.Request.Method)
            && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
        var client = EdgeClient.Get(context);
        if (!exact || client is null)
        {
            context.RequestServices.GetRequiredService<AuditTrail>().Append(new AuditEvent(
                client?.ToString() ?? "-", EdgeGuardMiddleware.BoundedPath(context), "UNIMPLEMENTED",
                Detail: "not exactly a routed method"));
            await GrpcStatusResponse.WriteAsync(context, StatusCode.Unimplemented, "method is not routed by the edge");
            return;
        }

        await next();
    }

    /// <summary>
    /// A backend that cannot be reached (or whose certificate is refused) becomes UNAVAILABLE as a
    /// gRPC status, not a bare HTTP 502; the cause stays in the edge's own log and audit trail.
    /// </summary>
    public static async Task ErrorsAsGrpcStatus(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.GetForwarderErrorFeature();
        // A caller that went away gets no answer; one that is still there gets a status, not a bare 502.
        if (error is not null && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await GrpcStatusResponse.WriteAsync(context, StatusCode.Unavailable, "backend unavailable");
        }
    }
}
