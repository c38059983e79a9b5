using System.Collections.Concurrent;
using Strongroom.Requests;

namespace Strongroom.Runner.Domain;

/// <summary>
/// Remembers what the key log said about a kid for at most <c>ttl</c> (Runner:KeyCacheTtl), so a
/// Submit does not ask storage three times for keys that rarely change. Only answers that let a
/// request through are kept — "not in the log" is asked again every time, so a new registration
/// works at once — and nothing is kept longer than the TTL: a revoked or disabled client key, or a
/// disabled request key, is refused by the runner within that bound (docs/runner.md). keyservice
/// keeps its own uncached check of the log before every unwrap, so no request is ever decrypted
/// under a revoked key, whatever this cache holds. Bounded: at most <c>capacity</c> entries.
/// </summary>
public sealed class KeyLookupCache<TValue>(TimeSpan ttl, int capacity, TimeProvider time)
    where TValue : class
{
    private readonly ConcurrentDictionary<string, (TValue Value, long ExpiresAt)> _entries = new(StringComparer.Ordinal);

    public async Task<TValue?> GetAsync(string key, Func<CancellationToken, Task<TValue?>> load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (ttl <= TimeSpan.Zero)
        {
            return await load(cancellationToken);
        }

        var now = time.GetTimestamp();
        if (_entries.TryGetValue(key, out var hit) && now < hit.ExpiresAt)
        {
            return hit.Value;
        }

        var value = await load(cancellationToken);
        if (value is null)
        {
            _entries.TryRemove(key, out _);
            return null;
        }

        if (_entries.Count >= capacity)
        {
            // Bounded memory: drop what expired; if every entry is still fresh, start over.
            foreach (var (k, e) in _entries)
            {
                if (now >= e.ExpiresAt)
                {
                    _entries.TryRemove(k, out _);
                }
            }

            if (_entries.Count >= capacity)
            {
                _entries.Clear();
            }
        }

        // The TTL counts from before the lookup was sent, so an answer is never used longer than ttl after it was asked for.
        _entries[key] = (value, now + (long)(ttl.TotalSeconds * time.TimestampFrequency));
        return value;
    }

    public int Count => _entries.Count;
}

/// <summary>Client signing and sealing keys as the key log says, remembered for Runner:KeyCacheTtl (see <see cref="KeyLookupCache{TValue}"/>).</summary>
public sealed class CachingClientKeyDirectory(IClientKeyDirectory inner, TimeSpan ttl, TimeProvider time) : IClientKeyDirectory
{
    private const int Capacity = 10_000;
    private readonly KeyLookupCache<ClientSigningKey> _signing = new(ttl, Capacity, time);
    private readonly KeyLookupCache<ClientSealingKey> _sealing = new(ttl, Capacity, time);

    public Task<ClientSigningKey?> FindAsync(string? kid, string? opensshFingerprint, CancellationToken cancellationToken) =>
        _signing.GetAsync(string.IsNullOrEmpty(kid) ? "fp:" + opensshFingerprint : "kid:" + kid, ct => inner.FindAsync(kid, opensshFingerprint, ct), cancellationToken);

    public Task<ClientSealingKey?> FindSealingKeyAsync(string kid, CancellationToken cancellationToken) =>
        _sealing.GetAsync(kid, ct => inner.FindSealingKeyAsync(kid, ct), cancellationToken);
}

/// <summary>keyservice's request keys as the key log says, a passed check remembered for Runner:KeyCacheTtl; refusals are never cached.</summary>
public sealed class CachingRequestKeyDirectory(IRequestKeyDirectory inner, TimeSpan ttl, TimeProvider time) : IRequestKeyDirectory
{
    private static readonly object Passed = new();
    private readonly KeyLookupCache<object> _checked = new(ttl, 1_000, time);

    public Task RequireRequestKeyAsync(string kid, CancellationToken cancellationToken) =>
        _checked.GetAsync(kid, async ct =>
        {
            // Throws for anything but an enabled request key of this deployment's keyservice.
            await inner.RequireRequestKeyAsync(kid, ct);
            return Passed;
        }, cancellationToken);
}
