using System.Collections.Concurrent;

namespace Strongroom.Edge.Tests.Support;

/// <summary>What reached a test backend: every HTTP request (before authorization) and every handled call.</summary>
public sealed class BackendRecorder
{
    public ConcurrentQueue<ArrivedRequest> Requests { get; } = new();

    public ConcurrentQueue<HandledCall> Calls { get; } = new();

    public int RequestsFor(string path) =>
        Requests.Count(r => string.Equals(r.Path.TrimEnd('/'), path, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A request as it arrived, with every reserved header the backend received and the TLS peer's certificate serial.</summary>
public sealed record ArrivedRequest(string Path, IReadOnlyList<KeyValuePair<string, string>> ReservedHeaders, string PeerCertificateSerial);

/// <summary>A call the backend's handler ran, with the caller the hosting library authorized.</summary>
public sealed record HandledCall(string Method, string Caller, string Peer);
