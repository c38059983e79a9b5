using Strongroom.Pki;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Authorization;

/// <summary>The decision for one call; <see cref="Reason"/> is safe to return and audit.</summary>
public readonly record struct AuthorizationDecision(bool Allowed, Caller? Caller, string Reason)
{
    public static AuthorizationDecision Deny(string reason, Caller? caller = null) => new(false, caller, reason);
}

/// <summary>
/// Per-call authorization (plain logic, no gRPC): which listener, which direct peer, whether an
/// edge-forwarded client identity may be believed, and the policy row.
/// </summary>
public sealed class RpcAuthorizer(RpcPolicy policy, IDenyList denyList)
{
    /// <summary>Header carrying the client identity the edge relays. The edge strips client-supplied copies.</summary>
    public const string ForwardedIdentityHeader = "x-strongroom-client-identity";

    public AuthorizationDecision Authorize(string method, WorkloadIdentity? peer, bool onAdminListener, string? forwardedIdentity)
    {
        if (peer is null)
        {
            return AuthorizationDecision.Deny("no authenticated peer");
        }

        var rule = policy.Find(method);
        if (rule is null)
        {
            return AuthorizationDecision.Deny("method has no policy row");
        }

        if (rule.Admin && !onAdminListener)
        {
            return AuthorizationDecision.Deny("admin methods are served on the admin listener only");
        }

        if (denyList.IsDenied(peer))
        {
            return AuthorizationDecision.Deny("identity is on the deny-list");
        }

        var caller = new Caller(peer, peer);
        if (forwardedIdentity is not null)
        {
            // Believed only from the edge, only for a client identity, only on a client-facing method.
            if (peer != WorkloadIdentity.Edge)
            {
                return AuthorizationDecision.Deny("forwarded identity accepted from the edge only", caller);
            }

            if (!rule.ClientFacing || onAdminListener)
            {
                return AuthorizationDecision.Deny("method is not client-facing", caller);
            }

            if (!WorkloadIdentity.TryParse(forwardedIdentity, out var client) || !client.IsClient)
            {
                return AuthorizationDecision.Deny("forwarded identity is not a client identity", caller);
            }

            if (denyList.IsDenied(client))
            {
                return AuthorizationDecision.Deny("identity is on the deny-list", new Caller(client, peer));
            }

            caller = new Caller(client, peer);
        }

        return rule.Allows(caller.Identity)
            ? new AuthorizationDecision(true, caller, "")
            : AuthorizationDecision.Deny($"{caller.Identity} may not call this method", caller);
    }
}
