namespace Strongroom.KeyCustody.Tests;

/// <summary>The real store, counting every read, so a test can see which calls reach it.</summary>
internal sealed class CountingStore(IKeyStore inner) : IKeyStore
{
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    private T Read<T>(T value)
    {
        Interlocked.Increment(ref _reads);
        return value;
    }

    public Task<bool> TryCreateKeyAsync(ManagedKey key, CancellationToken cancellationToken) => inner.TryCreateKeyAsync(key, cancellationToken);

    public Task<ManagedKey?> GetKeyAsync(string name, CancellationToken cancellationToken) => Read(inner.GetKeyAsync(name, cancellationToken));

    public Task<IReadOnlyList<ManagedKey>> ListKeysAsync(CancellationToken cancellationToken) => Read(inner.ListKeysAsync(cancellationToken));

    public Task<IReadOnlyList<KeyVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken) => Read(inner.ListVersionsAsync(name, cancellationToken));

    public Task<KeyVersion?> GetVersionAsync(string name, int version, CancellationToken cancellationToken) => Read(inner.GetVersionAsync(name, version, cancellationToken));

    public Task AddVersionAsync(KeyVersion version, WrappedKeyMaterial material, long? nextRotationAt, CancellationToken cancellationToken) =>
        inner.AddVersionAsync(version, material, nextRotationAt, cancellationToken);

    public Task SetRevokedAsync(string name, int version, CancellationToken cancellationToken) => inner.SetRevokedAsync(name, version, cancellationToken);

    public Task<WrappedKeyMaterial?> GetMaterialAsync(string name, int version, CancellationToken cancellationToken) => Read(inner.GetMaterialAsync(name, version, cancellationToken));

    public Task UpdateVersionStateAsync(string name, int version, KeyVersionState state, long? destroyAt, long? destroyedAt, CancellationToken cancellationToken) =>
        inner.UpdateVersionStateAsync(name, version, state, destroyAt, destroyedAt, cancellationToken);

    public Task EraseMaterialAsync(string name, int version, CancellationToken cancellationToken) => inner.EraseMaterialAsync(name, version, cancellationToken);

    public Task UpdateKeyAsync(ManagedKey key, CancellationToken cancellationToken) => inner.UpdateKeyAsync(key, cancellationToken);
}
