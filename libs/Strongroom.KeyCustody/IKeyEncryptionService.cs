namespace Strongroom.KeyCustody;

/// <summary>
/// What custody needs from a KMS: one CryptoKey per application key, versions created on rotation,
/// Encrypt (always under the primary) and Decrypt of 32-byte DEKs, and version lifecycle.
/// Implemented over the Cloud KMS v1 API (local kms or Google Cloud KMS).
/// </summary>
public interface IKeyEncryptionService
{
    /// <summary>Creates the CryptoKey (no automatic rotation) unless it exists.</summary>
    Task EnsureCryptoKeyAsync(string keyId, TimeSpan destroyGrace, CancellationToken cancellationToken);

    /// <summary>Creates a new version and makes it primary; returns its version number.</summary>
    Task<int> CreatePrimaryVersionAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>Encrypts under the primary version, which must be <paramref name="expectedVersion"/>.</summary>
    Task<byte[]> EncryptAsync(string keyId, int expectedVersion, ReadOnlyMemory<byte> dataKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken);

    Task<byte[]> DecryptAsync(string keyId, ReadOnlyMemory<byte> ciphertext, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken);

    Task DisableVersionAsync(string keyId, int version, CancellationToken cancellationToken);

    Task EnableVersionAsync(string keyId, int version, CancellationToken cancellationToken);

    Task ScheduleDestroyVersionAsync(string keyId, int version, CancellationToken cancellationToken);

    Task RestoreVersionAsync(string keyId, int version, CancellationToken cancellationToken);
}
