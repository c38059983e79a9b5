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

    /// <summary>Connection, header, stream and slow-client limits of every listener (docs/hosting.md, "Input limits").</summary>
    [Required]
    public InputLimitOptions Limits { get; set; } = new();
}

/// <summary>
/// Kestrel's limits, stated here so every service has the same documented ones rather than whatever
/// the framework version defaults to. They bound what one peer can make a service hold before any
/// handler (or the policy) runs: a request is read whole before authorization.
/// </summary>
public sealed class InputLimitOptions
{
    /// <summary>Open connections per process, all listeners together, counted from accept (before TLS); more are closed at once.</summary>
    [Range(16, 1_000_000)]
    public long MaxConcurrentConnections { get; set; } = 1024;

    /// <summary>Concurrent HTTP/2 streams (calls) per connection; the client queues the rest.</summary>
    [Range(1, 10_000)]
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>Request header block (names + values, all of them) in bytes; larger requests are refused (HTTP 431 → the call fails).</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Request headers (metadata entries) per call.</summary>
    [Range(8, 10_000)]
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>One HTTP/2 header field (name + value) after HPACK decoding, in bytes.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeaderFieldSize { get; set; } = 16 * 1024;

    /// <summary>HPACK dynamic table the server keeps per connection, in bytes.</summary>
    [Range(0, 64 * 1024)]
    public int HeaderTableSize { get; set; } = 4096;

    /// <summary>Largest HTTP/2 frame payload the server accepts, in bytes (RFC 9113 minimum 16 KiB).</summary>
    [Range(16 * 1024, 16 * 1024 * 1024 - 1)]
    public int MaxFrameSize { get; set; } = 16 * 1024;

    /// <summary>Slowest request body accepted after the grace period, in bytes per second (unary calls; gRPC lifts it for client-streaming ones).</summary>
    [Range(1, 1024 * 1024)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>Slowest response a client may read after the grace period, in bytes per second.</summary>
    [Range(1, 1024 * 1024)]
    public double MinResponseBytesPerSecond { get; set; } = 240;

    /// <summary>Grace before the body and response rates are enforced.</summary>
    public TimeSpan MinDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for a request's headers to arrive once its stream started.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An HTTP/2 connection with no open stream for this long is closed (a GOAWAY; clients reconnect).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);
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
