using System.Collections.Concurrent;

namespace Strongroom.KeyCustody;

/// <summary>
/// The key row as used for signing and unwrapping (primary and minimum version), re-read from the
/// store at least every <see cref="KeyCustodyOptions.StateRecheckInterval"/> — the bound the cached
/// versions already have — instead of on every call. Changes made through this custodian drop the
/// cached row at once (<see cref="Forget"/>); a change on another replica takes effect within the interval.
/// </summary>
internal sealed class KeyRowCache(KeyCustodyOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, CachedKeyRow> _rows = new(StringComparer.Ordinal);
    private long _generation;

    public async Task<ManagedKey> GetAsync(string name, Func<string, CancellationToken, Task<ManagedKey>> read, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_rows.TryGetValue(name, out var cached) && now - cached.ReadAt <= options.StateRecheckInterval.TotalMilliseconds)
        {
            return cached.Key;
        }

        // A row read while a change was being made here is used once but not cached, so it cannot outlive the change.
        var generation = Interlocked.Read(ref _generation);
        var key = await read(name, cancellationToken);
        if (Interlocked.Read(ref _generation) == generation)
        {
            _rows[name] = new CachedKeyRow(key, now);
        }

        return key;
    }

    /// <summary>Called after every change to a key's row or versions made through this custodian.</summary>
    public void Forget(string name)
    {
        Interlocked.Increment(ref _generation);
        _rows.TryRemove(name, out _);
    }

    private sealed record CachedKeyRow(ManagedKey Key, long ReadAt);
}
