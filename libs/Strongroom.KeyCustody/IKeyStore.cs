namespace Strongroom.KeyCustody;

/// <summary>
/// Durable store of keys, versions and wrapped material (SQLite by default, PostgreSQL for
/// replicas). Erasing material must leave no copy in the store's files (crypto-shredding).
/// </summary>
public interface IKeyStore
{
    Task<bool> TryCreateKeyAsync(ManagedKey key, CancellationToken cancellationToken);

    Task<ManagedKey?> GetKeyAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<ManagedKey>> ListKeysAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<KeyVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken);

    Task<KeyVersion?> GetVersionAsync(string name, int version, CancellationToken cancellationToken);

    /// <summary>
    /// Adds a version with its material atomically; with <paramref name="nextRotationAt"/> it also
    /// becomes the primary version and the next rotation is scheduled.
    /// </summary>
    Task AddVersionAsync(KeyVersion version, WrappedKeyMaterial material, long? nextRotationAt, CancellationToken cancellationToken);

    /// <summary>Marks a version revoked (compromised): clients must stop sealing to it.</summary>
    Task SetRevokedAsync(string name, int version, CancellationToken cancellationToken);

    Task<WrappedKeyMaterial?> GetMaterialAsync(string name, int version, CancellationToken cancellationToken);

    Task UpdateVersionStateAsync(string name, int version, KeyVersionState state, long? destroyAt, long? destroyedAt, CancellationToken cancellationToken);

    /// <summary>Deletes the wrapped material of a version and leaves no copy in the store's files.</summary>
    Task EraseMaterialAsync(string name, int version, CancellationToken cancellationToken);

    Task UpdateKeyAsync(ManagedKey key, CancellationToken cancellationToken);
}
