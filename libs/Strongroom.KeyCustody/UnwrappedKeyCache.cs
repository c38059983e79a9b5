using System.Collections.Concurrent;
using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.KeyCustody;

/// <summary>
/// The only place unwrapped private keys live: one entry per (key, version), unwrapped through kms
/// once per process and re-checked against the store at least every
/// <see cref="KeyCustodyOptions.StateRecheckInterval"/>. Evicting an entry destroys its handle once
/// the last lease is returned.
/// </summary>
internal sealed class UnwrappedKeyCache(
    IKeyStore store,
    IKeyEncryptionService kek,
    IReadOnlyDictionary<string, IKeyMaterialKind> kinds,
    KeyCustodyOptions options,
    KeyAssociatedData associatedData,
    TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<(string, int), CachedKey> _cache = new();
    private readonly ConcurrentDictionary<(string, int), SemaphoreSlim> _unwrapGates = new();
    private long _kmsDecryptCalls;

    /// <summary>kms Decrypt calls made so far: one per key version per process, never per message.</summary>
    public long KmsDecryptCalls => Interlocked.Read(ref _kmsDecryptCalls);

    /// <summary>Borrows version <paramref name="number"/> of <paramref name="key"/>, unwrapping it on first use.</summary>
    public async Task<KeyLease> AcquireAsync(ManagedKey key, int number, CancellationToken cancellationToken)
    {
        var name = key.Name;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (_cache.TryGetValue((name, number), out var entry))
            {
                if (time.GetUtcNow().ToUnixTimeMilliseconds() - entry.CheckedAt > options.StateRecheckInterval.TotalMilliseconds)
                {
                    await RecheckAsync(entry, cancellationToken);
                }

                if (entry.Version.Version < key.MinimumVersion)
                {
                    throw StrongroomException.FailedPrecondition($"key '{name}' version {number} is below the minimum version {key.MinimumVersion}");
                }

                if (entry.TryAcquire())
                {
                    return new KeyLease(entry, entry.Version);
                }

                continue;
            }

            await UnwrapIntoCacheAsync(key, number, cancellationToken);
        }

        throw StrongroomException.Unavailable("key cache is churning; retry");
    }

    public void Evict(string name, int version)
    {
        if (_cache.TryRemove((name, version), out var entry))
        {
            entry.Evict();
        }
    }

    /// <summary>Drops every cached version of <paramref name="name"/> below <paramref name="minimum"/>.</summary>
    public void EvictBelow(string name, int minimum)
    {
        foreach (var ((k, v), _) in _cache)
        {
            if (k == name && v < minimum)
            {
                Evict(k, v);
            }
        }
    }

    public void Dispose()
    {
        foreach (var entry in _cache.Values)
        {
            entry.Evict();
        }

        _cache.Clear();
    }

    private async Task UnwrapIntoCacheAsync(ManagedKey key, int number, CancellationToken cancellationToken)
    {
        var gate = _unwrapGates.GetOrAdd((key.Name, number), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_cache.ContainsKey((key.Name, number)))
            {
                return;
            }

            var version = await store.GetVersionAsync(key.Name, number, cancellationToken)
                ?? throw StrongroomException.NotFound($"key '{key.Name}' version {number}");
            EnsureUsable(key, version);
            var material = await store.GetMaterialAsync(key.Name, number, cancellationToken)
                ?? throw StrongroomException.FailedPrecondition($"key '{key.Name}' version {number} has no key material");
            var aad = associatedData.For(key.Name, number);
            Interlocked.Increment(ref _kmsDecryptCalls);
            var dek = await kek.DecryptAsync(key.Name, material.WrappedDek, aad, cancellationToken);
            byte[]? privateKey = null;
            try
            {
                privateKey = DataKeyEnvelope.Open(dek, material.SealedKey, aad);
                var handle = kinds[key.Kind].Load(privateKey);
                _cache[(key.Name, number)] = new CachedKey(handle, version, time.GetUtcNow().ToUnixTimeMilliseconds());
            }
            finally
            {
                CryptographicOperations.ZeroMemory(dek);
                if (privateKey is not null)
                {
                    CryptographicOperations.ZeroMemory(privateKey);
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RecheckAsync(CachedKey entry, CancellationToken cancellationToken)
    {
        var current = await store.GetVersionAsync(entry.Version.KeyName, entry.Version.Version, cancellationToken);
        if (current is null || current.State != KeyVersionState.Enabled)
        {
            Evict(entry.Version.KeyName, entry.Version.Version);
            throw StrongroomException.FailedPrecondition($"key '{entry.Version.KeyName}' version {entry.Version.Version} is {KeyStates.Describe(current?.State)}");
        }

        entry.Version = current;
        entry.CheckedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    private static void EnsureUsable(ManagedKey key, KeyVersion version)
    {
        if (version.State != KeyVersionState.Enabled)
        {
            throw StrongroomException.FailedPrecondition($"key '{key.Name}' version {version.Version} is {KeyStates.Describe(version.State)}");
        }

        if (version.Version < key.MinimumVersion)
        {
            throw StrongroomException.FailedPrecondition($"key '{key.Name}' version {version.Version} is below the minimum version {key.MinimumVersion}");
        }
    }
}
