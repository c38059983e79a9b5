using System.ComponentModel.DataAnnotations;

namespace Strongroom.Hosting;

/// <summary>Bound from the <c>Strongroom</c> configuration section of every service.</summary>
public sealed class StrongroomHostingOptions
{
    public const string SectionName = "Strongroom";

    /// <summary>This service's own identity (short form, e.g. <c>kms</c>); its certificate must carry it.</summary>
    [Required]
    public string Identity { get; set; } = "";

    [Required]
    public TlsFileOptions Tls { get; set; } = new();

    public ListenerOptions Listeners { get; set; } = new();

    /// <summary>Identities refused at the handshake and on every call, effective on the next call.</summary>
    public List<string> DenyList { get; set; } = [];

    public AuditOptions Audit { get; set; } = new();

    /// <summary>Method full name (<c>/package.Service/Method</c>) → who may call it.</summary>
    public Dictionary<string, MethodPolicy> Policy { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Largest request message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;
}

public sealed class TlsFileOptions
{
    /// <summary>The deployment CA certificate (PEM): the only trust anchor, for peers in both directions.</summary>
    [Required]
    public string CaFile { get; set; } = "";

    [Required]
    public string CertFile { get; set; } = "";

    [Required]
    public string KeyFile { get; set; } = "";

    /// <summary>How often certificate and CA files are checked for renewal.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class ListenerOptions
{
    /// <summary>mTLS listener for public and service-to-service methods (what the edge routes to).</summary>
    public string Public { get; set; } = "127.0.0.1:0";

    /// <summary>mTLS listener for admin methods; the edge never routes here. Empty: no admin listener.</summary>
    public string? Admin { get; set; }

    /// <summary>
    /// Optional plain HTTP/1.1 listener for orchestrator probes (Kubernetes liveness/readiness):
    /// it serves only <c>GET /healthz</c>, with no TLS and no gRPC (gRPC needs HTTP/2), so a probe
    /// needs no certificate and the listener exposes nothing else.
    /// </summary>
    public string? Health { get; set; }
}

public sealed class AuditOptions
{
    /// <summary>Path of the hash-chained audit log (JSON lines). Created 0600.</summary>
    public string Path { get; set; } = "audit.log";
}

/// <summary>One row of the policy table.</summary>
public sealed class MethodPolicy
{
    /// <summary>
    /// Allowed callers: short identities (<c>runner</c>, <c>client/alice</c>), wildcards
    /// <c>client/*</c> and <c>operator/*</c>, or <c>*</c> for any authenticated caller.
    /// </summary>
    public List<string> Allow { get; set; } = [];

    /// <summary>Admin methods are served on the admin listener only and may never be open to everyone.</summary>
    public bool Admin { get; set; }

    /// <summary>Client-facing methods are the only ones for which an edge-forwarded client identity is believed.</summary>
    public bool ClientFacing { get; set; }
}
