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

    /// <summary>
    /// Makes a kms version numbered at least <paramref name="firstUnusedVersion"/> (one above every
    /// kms version an application version already uses) exist and be primary; returns its number.
    /// Reusing an existing enabled version of exactly that number keeps application version N on kms
    /// version N after a crash between creating the kms version and storing the application version;
    /// no kms version ever wraps two application versions.
    /// </summary>
    Task<int> PrepareVersionAsync(string keyId, int firstUnusedVersion, CancellationToken cancellationToken);

    /// <summary>Encrypts with exactly kms version <paramref name="kmsVersion"/>.</summary>
    Task<byte[]> EncryptAsync(string keyId, int kmsVersion, ReadOnlyMemory<byte> dataKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken);

    Task<byte[]> DecryptAsync(string keyId, ReadOnlyMemory<byte> ciphertext, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken);

    Task DisableVersionAsync(string keyId, int version, CancellationToken cancellationToken);

    Task EnableVersionAsync(string keyId, int version, CancellationToken cancellationToken);

    Task ScheduleDestroyVersionAsync(string keyId, int version, CancellationToken cancellationToken);

    Task RestoreVersionAsync(string keyId, int version, CancellationToken cancellationToken);
}
