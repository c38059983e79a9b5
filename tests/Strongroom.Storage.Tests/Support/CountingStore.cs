using Strongroom.Storage.Store;

namespace Strongroom.Storage.Tests.Support;

/// <summary>
/// A store that counts the key-log entries it hands out, to measure how much of the log a
/// request reads; everything else passes straight to the real backend underneath.
/// </summary>
public sealed class CountingStore(IStorageStore inner) : IStorageStore
{
    private long _entriesRead;

    /// <summary>Entries returned by <see cref="GetEntriesAsync"/> since the last <see cref="Reset"/>.</summary>
    public long EntriesRead => Interlocked.Read(ref _entriesRead);

    public void Reset() => Interlocked.Exchange(ref _entriesRead, 0);

    public async Task<IReadOnlyList<StoredEntry>> GetEntriesAsync(long start, long end, CancellationToken cancellationToken)
    {
        var entries = await inner.GetEntriesAsync(start, end, cancellationToken);
        Interlocked.Add(ref _entriesRead, entries.Count);
        return entries;
    }

    public Task<T> InLogTransactionAsync<T>(Func<ILogTransaction, Task<T>> work, CancellationToken cancellationToken) => inner.InLogTransactionAsync(work, cancellationToken);

    public Task<long> CountEntriesAsync(CancellationToken cancellationToken) => inner.CountEntriesAsync(cancellationToken);

    public Task<StoredKey?> FindKeyAsync(string kid, CancellationToken cancellationToken) => inner.FindKeyAsync(kid, cancellationToken);

    public Task<string?> FindKidByAliasAsync(string alias, CancellationToken cancellationToken) => inner.FindKidByAliasAsync(alias, cancellationToken);

    public Task<string?> FindKidByFingerprintAsync(string fingerprint, CancellationToken cancellationToken) => inner.FindKidByFingerprintAsync(fingerprint, cancellationToken);

    public Task<IReadOnlyList<StoredEntry>> GetEntriesNamingAsync(string kid, CancellationToken cancellationToken) => inner.GetEntriesNamingAsync(kid, cancellationToken);

    public Task<IReadOnlyList<StoredKey>> ListKeysAsync(CancellationToken cancellationToken) => inner.ListKeysAsync(cancellationToken);

    public Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken) => inner.GetLatestCheckpointAsync(cancellationToken);

    public Task<StoredCheckpoint?> GetCheckpointAsync(long treeSize, CancellationToken cancellationToken) => inner.GetCheckpointAsync(treeSize, cancellationToken);

    public Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken) => inner.SaveCheckpointAsync(checkpoint, cancellationToken);

    public Task<IReadOnlyList<(long TreeSize, byte[] RootHash)>> ListCheckpointRootsAsync(CancellationToken cancellationToken) => inner.ListCheckpointRootsAsync(cancellationToken);

    public Task<PutOutcome> PutResultAsync(StoredResult result, CancellationToken cancellationToken) => inner.PutResultAsync(result, cancellationToken);

    public Task<StoredResult?> GetResultAsync(string jobId, CancellationToken cancellationToken) => inner.GetResultAsync(jobId, cancellationToken);

    public Task<IReadOnlyList<StoredResult>> ListResultsAsync(string? owner, long afterSequence, int limit, CancellationToken cancellationToken) =>
        inner.ListResultsAsync(owner, afterSequence, limit, cancellationToken);

    public Task<byte[]> GetOrCreateSecretAsync(string name, int size, CancellationToken cancellationToken) => inner.GetOrCreateSecretAsync(name, size, cancellationToken);

    public void Dispose() => inner.Dispose();
}
