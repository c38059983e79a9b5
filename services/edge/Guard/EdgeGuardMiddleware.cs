using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Strongroom.Hosting;
using Strongroom.Hosting.Audit;
using Strongroom.Hosting.Tls;
using Strongroom.Pki;
using Strongroom.Transport.Tls;
using Yarp.ReverseProxy.Model;

namespace Strongroom.Edge.Guard;

/// <summary>
/// Runs before every endpoint of the edge. It strips relayed-identity headers a caller sent, and
/// on the public listener admits only validated, non-denied <c>client/*</c> identities within
/// their rate limit. Then one of three things happens: a configured client-facing route is
/// forwarded (public listener only), one of the edge's own gRPC methods (health, audit head) is
/// served, or the call is answered UNIMPLEMENTED without contacting any backend. Admitted calls stay
/// registered until they end, so a client denied meanwhile has them aborted within two
/// <c>Strongroom:Tls:ReloadInterval</c>s of the deny-list changing (<see cref="OpenRequests"/>).
/// </summary>
public sealed class EdgeGuardMiddleware(RequestDelegate next, IDenyList denyList, ClientRateLimiter limiter, AuditTrail audit, IOptions<StrongroomHostingOptions> hosting, TimeProvider time) : IDisposable
{
    // Swept twice per ReloadInterval: the deny-list itself may take one interval to see the file
    // change, so open calls are aborted within 1.5 intervals plus timer lateness, inside the documented 2.
    private readonly OpenRequests _open = new(
        denyList,
        (hosting.Value.Tls.ReloadInterval > TimeSpan.Zero ? hosting.Value.Tls.ReloadInterval : TimeSpan.FromSeconds(1)) / 2,
        time,
        (peer, context) => audit.Append(new AuditEvent(peer.ToString(), BoundedPath(context), "ABORTED", Detail: "identity is on the deny-list (call in progress)")));

    /// <summary>Every header in this namespace is the edge's to set; none is ever taken from a caller.</summary>
    public const string ReservedHeaderPrefix = "x-strongroom-";

    private const int MaxAuditedPathLength = 200;

    public async Task InvokeAsync(HttpContext context)
    {
        StripReservedHeaders(context.Request.Headers);
        var peer = ServerTls.PeerOf(context);
        if (peer is null)
        {
            // Unreachable behind ServerTls (the handshake requires a certificate); fail closed anyway.
            await RefuseAsync(context, "-", StatusCode.Unauthenticated, "no authenticated peer");
            return;
        }

        var endpoint = context.GetEndpoint();
        var isRoute = endpoint?.Metadata.GetMetadata<RouteModel>() is not null;
        var isOwnMethod = endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;

        if (ServerTls.IsAdminListener(context))
        {
            // The admin listener serves the edge's own audit head and health to operators; it never forwards.
            if (!isOwnMethod)
            {
                await RefuseAsync(context, peer.ToString(), StatusCode.Unimplemented, "method is not served here");
                return;
            }

            await next(context);
            return;
        }

        // DESIGN §2: operators and services call backends directly with their own certificates.
        if (!peer.IsClient)
        {
            await RefuseAsync(context, peer.ToString(), StatusCode.PermissionDenied, "the edge serves client identities only");
            return;
        }

        // The handshake checked the deny-list; this catches an identity denied while its connection stays open.
        if (denyList.IsDenied(peer))
        {
            await RefuseAsync(context, peer.ToString(), StatusCode.PermissionDenied, "identity is on the deny-list");
            return;
        }

        using var lease = limiter.Acquire(peer);
        if (!lease.IsAcquired)
        {
            if (limiter.ShouldAudit(peer))
            {
                Audit(context, peer.ToString(), "RESOURCE_EXHAUSTED", "rate limit exceeded (further refusals for a minute not audited)");
            }

            await GrpcStatusResponse.WriteAsync(context, StatusCode.ResourceExhausted, "rate limit exceeded");
            return;
        }

        if (!isRoute && !isOwnMethod)
        {
            await RefuseAsync(context, peer.ToString(), StatusCode.Unimplemented, "method is not routed by the edge");
            return;
        }

        EdgeClient.Set(context, peer);
        using var open = _open.Register(peer, context);
        await next(context);
    }

    /// <summary>The middleware lives as long as the application; this only stops the sweep timer.</summary>
    public void Dispose() => _open.Dispose();

    private static void StripReservedHeaders(IHeaderDictionary headers)
    {
        List<string>? reserved = null;
        foreach (var (name, _) in headers)
        {
            if (name.StartsWith(ReservedHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                (reserved ??= []).Add(name);
            }
        }

        foreach (var name in reserved ?? [])
        {
            headers.Remove(name);
        }
    }

    private Task RefuseAsync(HttpContext context, string caller, StatusCode code, string reason)
    {
        Audit(context, caller, ToOutcome(code), reason);
        return GrpcStatusResponse.WriteAsync(context, code, reason);
    }

    private void Audit(HttpContext context, string caller, string outcome, string reason) =>
        audit.Append(new AuditEvent(caller, BoundedPath(context), outcome, Detail: reason));

    /// <summary>The request path for an audit entry: caller-chosen, so bounded here (the audit trail JSON-escapes it).</summary>
    public static string BoundedPath(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        return path.Length > MaxAuditedPathLength ? path[..MaxAuditedPathLength] + "..." : path;
    }

    private static string ToOutcome(StatusCode code) => code switch
    {
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.Unimplemented => "UNIMPLEMENTED",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        _ => code.ToString(),
    };
}
