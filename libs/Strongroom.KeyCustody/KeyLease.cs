namespace Strongroom.KeyCustody;

/// <summary>
/// A borrowed, unwrapped private key. Dispose the lease when done; the handle itself is owned by
/// the custodian's cache and is disposed (zeroed) once evicted and no lease holds it.
/// </summary>
public sealed class KeyLease : IDisposable
{
    private readonly CachedKey _entry;
    private int _released;

    internal KeyLease(CachedKey entry, KeyVersion version)
    {
        _entry = entry;
        Version = version;
    }

    public KeyVersion Version { get; }

    public T Handle<T>()
        where T : class, IDisposable =>
        _entry.Handle as T ?? throw new InvalidOperationException("key handle is of another kind");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _entry.Release();
        }
    }
}

/// <summary>A cache entry with reference counting, so eviction never disposes a key in use.</summary>
internal sealed class CachedKey(IDisposable handle, KeyVersion version, long checkedAt)
{
    private readonly Lock _gate = new();
    private int _leases;
    private bool _evicted;

    public IDisposable Handle { get; } = handle;

    public KeyVersion Version { get; set; } = version;

    public long CheckedAt { get; set; } = checkedAt;

    public bool TryAcquire()
    {
        lock (_gate)
        {
            if (_evicted)
            {
                return false;
            }

            _leases++;
            return true;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            _leases--;
            if (_evicted && _leases == 0)
            {
                Handle.Dispose();
            }
        }
    }

    public void Evict()
    {
        lock (_gate)
        {
            if (_evicted)
            {
                return;
            }

            _evicted = true;
            if (_leases == 0)
            {
                Handle.Dispose();
            }
        }
    }
}
