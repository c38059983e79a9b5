using Grpc.Core;
using Strongroom.Pki;

namespace Strongroom.Hosting.Authorization;

/// <summary>
/// Who is calling: <see cref="Identity"/> is the principal the policy judged — the direct mTLS peer,
/// or the client the edge relayed; <see cref="Peer"/> is always the direct peer.
/// </summary>
public sealed record Caller(WorkloadIdentity Identity, WorkloadIdentity Peer)
{
    public bool ViaEdge => Peer == WorkloadIdentity.Edge;
}

public static class CallerExtensions
{
    internal const string CallerKey = "strongroom.caller";
    internal const string AuditKeyKey = "strongroom.audit.key";
    internal const string AuditVersionKey = "strongroom.audit.version";

    /// <summary>The authorized caller of this RPC (set by the hosting interceptor before any handler runs).</summary>
    public static Caller GetCaller(this ServerCallContext context) =>
        context.GetHttpContext().Items[CallerKey] as Caller
        ?? throw new InvalidOperationException("no authorized caller on this call");

    /// <summary>Names the key and version this call acted on, for its audit entry (never key material).</summary>
    public static void AuditKey(this ServerCallContext context, string key, long? version = null)
    {
        var items = context.GetHttpContext().Items;
        items[AuditKeyKey] = key;
        items[AuditVersionKey] = version;
    }
}
