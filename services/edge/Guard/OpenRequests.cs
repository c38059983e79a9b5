using System.Collections.Concurrent;
using Strongroom.Pki;
using Strongroom.Transport.Tls;

namespace Strongroom.Edge.Guard;

/// <summary>
/// The requests the edge is forwarding right now, by client. Every <paramref name="interval"/> the
/// ones whose client is on the deny-list are aborted, so a denial also ends calls that were admitted
/// before it — above all open WatchJob streams, which would otherwise run for up to 30 minutes.
/// </summary>
public sealed class OpenRequests : IDisposable
{
    private readonly ConcurrentDictionary<Entry, byte> _open = new();
    private readonly IDenyList _denyList;
    private readonly Action<WorkloadIdentity, HttpContext> _aborted;
    private readonly ITimer _timer;

    /// <param name="aborted">Called for each request aborted (before the abort), to audit it.</param>
    public OpenRequests(IDenyList denyList, TimeSpan interval, TimeProvider time, Action<WorkloadIdentity, HttpContext> aborted)
    {
        _denyList = denyList;
        _aborted = aborted;
        _timer = time.CreateTimer(_ => AbortDenied(), null, interval, interval);
    }

    /// <summary>Tracks a request until the returned handle is disposed.</summary>
    public IDisposable Register(WorkloadIdentity client, HttpContext context)
    {
        var entry = new Entry(this, client, context);
        _open[entry] = 0;
        return entry;
    }

    /// <summary>Aborts (HTTP/2 RST_STREAM) every open request of a denied client; returns how many.</summary>
    public int AbortDenied()
    {
        var aborted = 0;
        foreach (var entry in _open.Keys)
        {
            if (_denyList.IsDenied(entry.Client) && _open.TryRemove(entry, out _))
            {
                _aborted(entry.Client, entry.Context);
                entry.Context.Abort();
                aborted++;
            }
        }

        return aborted;
    }

    public void Dispose() => _timer.Dispose();

    private sealed class Entry(OpenRequests owner, WorkloadIdentity client, HttpContext context) : IDisposable
    {
        public WorkloadIdentity Client { get; } = client;

        public HttpContext Context { get; } = context;

        // Removed before Kestrel reuses the HttpContext for another request.
        public void Dispose() => owner._open.TryRemove(this, out _);
    }
}
