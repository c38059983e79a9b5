using System.Collections.Concurrent;
using System.Security.Cryptography;
using Strongroom.Crypto;
using Strongroom.KeyCustody;

namespace Strongroom.KeyCustody.Tests;

/// <summary>
/// A KEK service with Cloud KMS semantics kept in memory, for unit tests of the custodian's own
/// logic (the real kms over mTLS is exercised by the keyservice integration tests). It records
/// every plaintext size it is asked to encrypt.
/// </summary>
public sealed class InMemoryKek : IKeyEncryptionService
{
    private readonly ConcurrentDictionary<string, List<(byte[]? Kek, string State)>> _keys = new();

    public ConcurrentBag<int> EncryptedPlaintextSizes { get; } = [];

    private int _decryptCalls;

    public int DecryptCalls => Volatile.Read(ref _decryptCalls);

    public Task EnsureCryptoKeyAsync(string keyId, TimeSpan destroyGrace, CancellationToken cancellationToken)
    {
        // Like Cloud KMS, a new CryptoKey comes with version 1.
        _keys.TryAdd(keyId, [(RandomNumberGenerator.GetBytes(32), "ENABLED")]);
        return Task.CompletedTask;
    }

    public Task<int> PrepareVersionAsync(string keyId, int firstUnusedVersion, CancellationToken cancellationToken)
    {
        var versions = _keys[keyId];
        lock (versions)
        {
            if (versions.Count < firstUnusedVersion || versions[firstUnusedVersion - 1].State != "ENABLED")
            {
                versions.Add((RandomNumberGenerator.GetBytes(32), "ENABLED"));
            }

            return Task.FromResult(versions.Count >= firstUnusedVersion && versions[firstUnusedVersion - 1].State == "ENABLED" ? firstUnusedVersion : versions.Count);
        }
    }

    public Task<byte[]> EncryptAsync(string keyId, int kmsVersion, ReadOnlyMemory<byte> dataKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken)
    {
        EncryptedPlaintextSizes.Add(dataKey.Length);
        var versions = _keys[keyId];
        lock (versions)
        {
            var sealedBytes = DataKeyEnvelope.Seal(versions[kmsVersion - 1].Kek!, dataKey.Span, associatedData.Span);
            return Task.FromResult<byte[]>([(byte)kmsVersion, .. sealedBytes]);
        }
    }

    public Task<byte[]> DecryptAsync(string keyId, ReadOnlyMemory<byte> ciphertext, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _decryptCalls);
        var versions = _keys[keyId];
        lock (versions)
        {
            var (kek, state) = versions[ciphertext.Span[0] - 1];
            if (state != "ENABLED" || kek is null)
            {
                throw new InvalidOperationException("kms version is " + state);
            }

            return Task.FromResult(DataKeyEnvelope.Open(kek, ciphertext.Span[1..], associatedData.Span));
        }
    }

    public Task DisableVersionAsync(string keyId, int version, CancellationToken cancellationToken) => Set(keyId, version, "DISABLED");

    public Task EnableVersionAsync(string keyId, int version, CancellationToken cancellationToken) => Set(keyId, version, "ENABLED");

    public Task ScheduleDestroyVersionAsync(string keyId, int version, CancellationToken cancellationToken) => Set(keyId, version, "DESTROYED");

    public Task RestoreVersionAsync(string keyId, int version, CancellationToken cancellationToken) => Set(keyId, version, "DISABLED");

    public string StateOf(string keyId, int version)
    {
        var versions = _keys[keyId];
        lock (versions)
        {
            return versions[version - 1].State;
        }
    }

    private Task Set(string keyId, int version, string state)
    {
        var versions = _keys[keyId];
        lock (versions)
        {
            var (kek, _) = versions[version - 1];
            versions[version - 1] = (state == "DESTROYED" ? null : kek, state);
        }

        return Task.CompletedTask;
    }
}
