namespace Strongroom.Storage.Store;

/// <summary>One key-log entry as stored: the hashed bytes exactly, never re-serialized.</summary>
public sealed record StoredEntry(long Index, string Type, byte[] EntryJson, long AppendTime);

/// <summary>The look-up row of a published key (a cache of its key_published entry, which is the truth).</summary>
public sealed record StoredKey(string Kid, long EntryIndex, string JwkJson, string Owner, string Kind, string? SshFingerprint);

public sealed record StoredCheckpoint(long TreeSize, byte[] RootHash, string Note);

public sealed record StoredResult(
    string JobId,
    string Owner,
    string Runner,
    string SignedResult,
    byte[] Output,
    byte[] OutputEnc,
    string SealedToKid,
    long StoreTime,
    long Sequence = 0);

public enum PutOutcome
{
    Created = 1,
    Identical,
    Conflict,
}

/// <summary>An entry to append, with the look-up rows it creates.</summary>
public sealed record NewEntry(string Type, byte[] EntryJson, long AppendTime, IReadOnlyList<string> Kids, StoredKey? Key = null, string? Alias = null);

/// <summary>
/// storage's persistence, one contract for SQLite (embedded default) and PostgreSQL (replicas).
/// Every write is durable when the call returns. Appends to the key log happen only inside
/// <see cref="InLogTransactionAsync{T}"/>, which serializes appenders across replicas, so "a kid is
/// bound once" and "an alias is bound once" are checked and written atomically.
/// </summary>
public interface IStorageStore : IDisposable
{
    Task<T> InLogTransactionAsync<T>(Func<ILogTransaction, Task<T>> work, CancellationToken cancellationToken);

    Task<long> CountEntriesAsync(CancellationToken cancellationToken);

    /// <summary>Entries with start ≤ index &lt; end, in order.</summary>
    Task<IReadOnlyList<StoredEntry>> GetEntriesAsync(long start, long end, CancellationToken cancellationToken);

    Task<StoredKey?> FindKeyAsync(string kid, CancellationToken cancellationToken);

    Task<string?> FindKidByAliasAsync(string alias, CancellationToken cancellationToken);

    Task<string?> FindKidByFingerprintAsync(string fingerprint, CancellationToken cancellationToken);

    /// <summary>Every entry naming <paramref name="kid"/>, in log order.</summary>
    Task<IReadOnlyList<StoredEntry>> GetEntriesNamingAsync(string kid, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredKey>> ListKeysAsync(CancellationToken cancellationToken);

    Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken);

    Task<StoredCheckpoint?> GetCheckpointAsync(long treeSize, CancellationToken cancellationToken);

    Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>Every stored checkpoint's size and root, smallest first (notes left out).</summary>
    Task<IReadOnlyList<(long TreeSize, byte[] RootHash)>> ListCheckpointRootsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a result unless one exists under its job id; then compares content.</summary>
    Task<PutOutcome> PutResultAsync(StoredResult result, CancellationToken cancellationToken);

    Task<StoredResult?> GetResultAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Results after <paramref name="afterSequence"/> in store order, optionally of one owner (outputs included: callers keep only sizes).</summary>
    Task<IReadOnlyList<StoredResult>> ListResultsAsync(string? owner, long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>A random value created once and shared by every replica (the paging-token MAC key).</summary>
    Task<byte[]> GetOrCreateSecretAsync(string name, int size, CancellationToken cancellationToken);
}

/// <summary>The serialized view an appender works in.</summary>
public interface ILogTransaction
{
    long Size { get; }

    Task<StoredKey?> FindKeyAsync(string kid);

    Task<string?> FindKidByAliasAsync(string alias);

    Task<IReadOnlyList<StoredEntry>> GetEntriesNamingAsync(string kid);

    Task<StoredEntry> AppendAsync(NewEntry entry);
}
