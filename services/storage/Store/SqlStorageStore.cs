using System.Data.Common;
using static Strongroom.Persistence.Sql;

namespace Strongroom.Storage.Store;

/// <summary>
/// The store contract over ADO.NET, shared by the SQLite and PostgreSQL backends: same tables,
/// same statements (both accept <c>@name</c> parameters and <c>ON CONFLICT</c>); only connection
/// handling, the append lock and column types differ.
/// </summary>
public abstract class SqlStorageStore : IStorageStore
{
    /// <summary>A connection lent for one operation (SQLite: the one shared connection, serialized).</summary>
    protected abstract Task<DbLease> LeaseAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction that excludes every other appender, on every replica.</summary>
    protected abstract Task<DbTransaction> BeginAppendTransactionAsync(DbConnection connection, CancellationToken cancellationToken);

    public abstract void Dispose();

    private static StoredEntry ReadEntry(DbDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetFieldValue<byte[]>(2), r.GetInt64(3));

    private static StoredKey ReadKey(DbDataReader r) => new(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5));

    private static StoredResult ReadResult(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<byte[]>(4), r.GetFieldValue<byte[]>(5), r.GetString(6), r.GetInt64(7), r.GetInt64(8));

    private const string EntryColumns = "idx, type, entry_json, append_time";
    private const string KeyColumns = "kid, entry_index, jwk_json, owner, kind, ssh_fingerprint";
    private const string ResultColumns = "job_id, owner, runner, signed_result, output, output_enc, sealed_to_kid, store_time, seq";

    public async Task<T> InLogTransactionAsync<T>(Func<ILogTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await using var lease = await LeaseAsync(cancellationToken);
        await using var tx = await BeginAppendTransactionAsync(lease.Connection, cancellationToken);
        var size = (await QueryAsync(lease.Connection, tx, "SELECT COUNT(*) FROM log_entries", r => r.GetInt64(0), cancellationToken))[0];
        var view = new LogTransaction(lease.Connection, tx, size, cancellationToken);
        var result = await work(view);
        // Committed (and, with synchronous=FULL / synchronous_commit=on, on disk) before anyone is told.
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    private sealed class LogTransaction(DbConnection connection, DbTransaction transaction, long size, CancellationToken ct) : ILogTransaction
    {
        public long Size { get; private set; } = size;

        public async Task<StoredKey?> FindKeyAsync(string kid) =>
            (await QueryAsync(connection, transaction, $"SELECT {KeyColumns} FROM log_keys WHERE kid = @kid", ReadKey, ct, ("kid", kid))).SingleOrDefault();

        public async Task<string?> FindKidByAliasAsync(string alias) =>
            (await QueryAsync(connection, transaction, "SELECT kid FROM log_aliases WHERE alias = @alias", r => r.GetString(0), ct, ("alias", alias))).SingleOrDefault();

        public Task<IReadOnlyList<StoredEntry>> GetEntriesNamingAsync(string kid) => EntriesNaming(connection, transaction, kid, ct);

        public async Task<StoredEntry> AppendAsync(NewEntry entry)
        {
            var index = Size;
            await ExecuteAsync(connection, transaction, "INSERT INTO log_entries (idx, type, entry_json, append_time) VALUES (@idx, @type, @json, @time)", ct,
                ("idx", index), ("type", entry.Type), ("json", entry.EntryJson), ("time", entry.AppendTime));
            foreach (var kid in entry.Kids.Distinct(StringComparer.Ordinal))
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO log_refs (kid, entry_index) VALUES (@kid, @idx)", ct, ("kid", kid), ("idx", index));
            }

            if (entry.Key is { } key)
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO log_keys (kid, entry_index, jwk_json, owner, kind, ssh_fingerprint) VALUES (@kid, @idx, @jwk, @owner, @kind, @fp)", ct,
                    ("kid", key.Kid), ("idx", index), ("jwk", key.JwkJson), ("owner", key.Owner), ("kind", key.Kind), ("fp", key.SshFingerprint));
            }

            if (entry.Alias is { } alias)
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO log_aliases (alias, kid, entry_index) VALUES (@alias, @kid, @idx)", ct,
                    ("alias", alias), ("kid", entry.Kids[0]), ("idx", index));
            }

            Size++;
            return new StoredEntry(index, entry.Type, entry.EntryJson, entry.AppendTime);
        }
    }

    private static async Task<IReadOnlyList<StoredEntry>> EntriesNaming(DbConnection c, DbTransaction? tx, string kid, CancellationToken ct) =>
        await QueryAsync(c, tx, "SELECT e.idx, e.type, e.entry_json, e.append_time FROM log_entries e JOIN log_refs r ON r.entry_index = e.idx WHERE r.kid = @kid ORDER BY e.idx", ReadEntry, ct, ("kid", kid));

    public async Task<long> CountEntriesAsync(CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return (await QueryAsync(lease.Connection, null, "SELECT COUNT(*) FROM log_entries", r => r.GetInt64(0), cancellationToken))[0];
    }

    public async Task<IReadOnlyList<StoredEntry>> GetEntriesAsync(long start, long end, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return await QueryAsync(lease.Connection, null, $"SELECT {EntryColumns} FROM log_entries WHERE idx >= @start AND idx < @end ORDER BY idx", ReadEntry, cancellationToken, ("start", start), ("end", end));
    }

    public async Task<StoredKey?> FindKeyAsync(string kid, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return (await QueryAsync(lease.Connection, null, $"SELECT {KeyColumns} FROM log_keys WHERE kid = @kid", ReadKey, cancellationToken, ("kid", kid))).SingleOrDefault();
    }

    public async Task<string?> FindKidByAliasAsync(string alias, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return (await QueryAsync(lease.Connection, null, "SELECT kid FROM log_aliases WHERE alias = @alias", r => r.GetString(0), cancellationToken, ("alias", alias))).SingleOrDefault();
    }

    public async Task<string?> FindKidByFingerprintAsync(string fingerprint, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return (await QueryAsync(lease.Connection, null, "SELECT kid FROM log_keys WHERE ssh_fingerprint = @fp ORDER BY entry_index", r => r.GetString(0), cancellationToken, ("fp", fingerprint))).FirstOrDefault();
    }

    public async Task<IReadOnlyList<StoredEntry>> GetEntriesNamingAsync(string kid, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return await EntriesNaming(lease.Connection, null, kid, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredKey>> ListKeysAsync(CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return await QueryAsync(lease.Connection, null, $"SELECT {KeyColumns} FROM log_keys ORDER BY entry_index", ReadKey, cancellationToken);
    }

    public async Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return (await QueryAsync(lease.Connection, null, "SELECT tree_size, root_hash, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1",
            r => new StoredCheckpoint(r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.GetString(2)), cancellationToken)).SingleOrDefault();
    }

    public async Task<StoredCheckpoint?> GetCheckpointAsync(long treeSize, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return (await QueryAsync(lease.Connection, null, "SELECT tree_size, root_hash, note FROM checkpoints WHERE tree_size = @size",
            r => new StoredCheckpoint(r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.GetString(2)), cancellationToken, ("size", treeSize))).SingleOrDefault();
    }

    public async Task SaveCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var lease = await LeaseAsync(cancellationToken);
        await ExecuteAsync(lease.Connection, null, "INSERT INTO checkpoints (tree_size, root_hash, note) VALUES (@size, @root, @note) ON CONFLICT (tree_size) DO NOTHING", cancellationToken,
            ("size", checkpoint.TreeSize), ("root", checkpoint.RootHash), ("note", checkpoint.Note));
    }

    public async Task<IReadOnlyList<(long TreeSize, byte[] RootHash)>> ListCheckpointRootsAsync(CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return await QueryAsync(lease.Connection, null, "SELECT tree_size, root_hash FROM checkpoints ORDER BY tree_size", r => (r.GetInt64(0), r.GetFieldValue<byte[]>(1)), cancellationToken);
    }

    public async Task<PutOutcome> PutResultAsync(StoredResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        await using var lease = await LeaseAsync(cancellationToken);
        // One statement decides who wins a race on the job id; the loser compares contents.
        var inserted = await ExecuteAsync(lease.Connection, null,
            "INSERT INTO results (job_id, owner, runner, signed_result, output, output_enc, sealed_to_kid, store_time) VALUES (@job, @owner, @runner, @sig, @out, @enc, @kid, @time) ON CONFLICT (job_id) DO NOTHING",
            cancellationToken, ("job", result.JobId), ("owner", result.Owner), ("runner", result.Runner), ("sig", result.SignedResult), ("out", result.Output), ("enc", result.OutputEnc), ("kid", result.SealedToKid), ("time", result.StoreTime));
        if (inserted == 1)
        {
            return PutOutcome.Created;
        }

        var existing = (await QueryAsync(lease.Connection, null, $"SELECT {ResultColumns} FROM results WHERE job_id = @job", ReadResult, cancellationToken, ("job", result.JobId))).Single();
        var same = existing.Owner == result.Owner && existing.SignedResult == result.SignedResult && existing.SealedToKid == result.SealedToKid
            && existing.Output.AsSpan().SequenceEqual(result.Output) && existing.OutputEnc.AsSpan().SequenceEqual(result.OutputEnc);
        return same ? PutOutcome.Identical : PutOutcome.Conflict;
    }

    public async Task<StoredResult?> GetResultAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return (await QueryAsync(lease.Connection, null, $"SELECT {ResultColumns} FROM results WHERE job_id = @job", ReadResult, cancellationToken, ("job", jobId))).SingleOrDefault();
    }

    public async Task<IReadOnlyList<StoredResult>> ListResultsAsync(string? owner, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        return owner is null
            ? await QueryAsync(lease.Connection, null, $"SELECT {ResultColumns} FROM results WHERE seq > @after ORDER BY seq LIMIT @limit", ReadResult, cancellationToken, ("after", afterSequence), ("limit", limit))
            : await QueryAsync(lease.Connection, null, $"SELECT {ResultColumns} FROM results WHERE owner = @owner AND seq > @after ORDER BY seq LIMIT @limit", ReadResult, cancellationToken, ("owner", owner), ("after", afterSequence), ("limit", limit));
    }

    public async Task<byte[]> GetOrCreateSecretAsync(string name, int size, CancellationToken cancellationToken)
    {
        await using var lease = await LeaseAsync(cancellationToken);
        await ExecuteAsync(lease.Connection, null, "INSERT INTO secrets (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING", cancellationToken,
            ("name", name), ("value", System.Security.Cryptography.RandomNumberGenerator.GetBytes(size)));
        return (await QueryAsync(lease.Connection, null, "SELECT value FROM secrets WHERE name = @name", r => r.GetFieldValue<byte[]>(0), cancellationToken, ("name", name))).Single();
    }

    /// <summary>The schema, with the backend's names for a 64-bit integer, a byte string and an auto-numbered key.</summary>
    protected static string Schema(string bigInteger, string bytes, string sequenceKey) => $"""
        CREATE TABLE IF NOT EXISTS log_entries (
            idx {bigInteger} PRIMARY KEY,
            type TEXT NOT NULL,
            entry_json {bytes} NOT NULL,
            append_time {bigInteger} NOT NULL);
        CREATE TABLE IF NOT EXISTS log_refs (
            kid TEXT NOT NULL,
            entry_index {bigInteger} NOT NULL,
            PRIMARY KEY (kid, entry_index));
        CREATE TABLE IF NOT EXISTS log_keys (
            kid TEXT PRIMARY KEY,
            entry_index {bigInteger} NOT NULL,
            jwk_json TEXT NOT NULL,
            owner TEXT NOT NULL,
            kind TEXT NOT NULL,
            ssh_fingerprint TEXT);
        CREATE INDEX IF NOT EXISTS log_keys_fingerprint ON log_keys (ssh_fingerprint);
        CREATE TABLE IF NOT EXISTS log_aliases (
            alias TEXT PRIMARY KEY,
            kid TEXT NOT NULL,
            entry_index {bigInteger} NOT NULL);
        CREATE TABLE IF NOT EXISTS checkpoints (
            tree_size {bigInteger} PRIMARY KEY,
            root_hash {bytes} NOT NULL,
            note TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS results (
            seq {sequenceKey},
            job_id TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL,
            runner TEXT NOT NULL,
            signed_result TEXT NOT NULL,
            output {bytes} NOT NULL,
            output_enc {bytes} NOT NULL,
            sealed_to_kid TEXT NOT NULL,
            store_time {bigInteger} NOT NULL);
        CREATE INDEX IF NOT EXISTS results_owner ON results (owner, seq);
        CREATE TABLE IF NOT EXISTS secrets (
            name TEXT PRIMARY KEY,
            value {bytes} NOT NULL);
        """;
}

/// <summary>A connection for one operation; disposing returns it (or releases the SQLite lock).</summary>
public sealed class DbLease(DbConnection connection, Func<ValueTask> release) : IAsyncDisposable
{
    public DbConnection Connection { get; } = connection;

    public ValueTask DisposeAsync() => release();
}
