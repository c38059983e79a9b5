using Microsoft.Data.Sqlite;

namespace Strongroom.Signer.Domain;

/// <summary>The last checkpoint the signer signed; size 0 and no note before the first.</summary>
public sealed record SignedCheckpoint(long TreeSize, byte[] RootHash, string Note, long SignedAt)
{
    public static SignedCheckpoint None { get; } = new(0, [], "", 0);
}

/// <summary>A publication waiting for storage: a serialized PublishKey or PublishKeyEvent request.</summary>
public sealed record OutboxRow(long Id, string Kind, byte[] Body, int Attempts);

/// <summary>
/// The signer's own durable state in one SQLite file (created 0600, WAL, synchronous=FULL): the last
/// signed checkpoint — which is what stops storage from forking the log, so it is written before a
/// signature is returned — and the outbox of key publications, so signing never waits for storage.
/// </summary>
public sealed class SignerState : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SignerState(SqliteConnection connection) => _connection = connection;

    public static SignerState Open(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (!File.Exists(full))
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var _ = new FileStream(full, create);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                CREATE TABLE IF NOT EXISTS checkpoint (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    tree_size INTEGER NOT NULL,
                    root_hash BLOB NOT NULL,
                    note TEXT NOT NULL,
                    signed_at INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    body BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    parked INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT);
                """;
            command.ExecuteNonQuery();
            return new SignerState(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public async Task<SignedCheckpoint> GetCheckpointAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT tree_size, root_hash, note, signed_at FROM checkpoint WHERE id = 1";
            using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new SignedCheckpoint(reader.GetInt64(0), (byte[])reader["root_hash"], reader.GetString(2), reader.GetInt64(3))
                : SignedCheckpoint.None;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Replaces the last checkpoint only if it is still <paramref name="expectedPrevious"/> (size and
    /// root), so two racing requests cannot both advance from the same checkpoint.
    /// </summary>
    public async Task<bool> TryAdvanceCheckpointAsync(SignedCheckpoint expectedPrevious, SignedCheckpoint next, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using (var read = _connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT tree_size, root_hash FROM checkpoint WHERE id = 1";
                using var reader = await read.ExecuteReaderAsync(cancellationToken);
                var (size, root) = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), (byte[])reader["root_hash"]) : (0L, Array.Empty<byte>());
                if (size != expectedPrevious.TreeSize || !root.AsSpan().SequenceEqual(expectedPrevious.RootHash))
                {
                    return false;
                }
            }

            using var write = _connection.CreateCommand();
            write.Transaction = transaction;
            write.CommandText = """
                INSERT INTO checkpoint (id, tree_size, root_hash, note, signed_at) VALUES (1, $size, $root, $note, $at)
                ON CONFLICT (id) DO UPDATE SET tree_size = $size, root_hash = $root, note = $note, signed_at = $at
                """;
            write.Parameters.AddWithValue("$size", next.TreeSize);
            write.Parameters.AddWithValue("$root", next.RootHash);
            write.Parameters.AddWithValue("$note", next.Note);
            write.Parameters.AddWithValue("$at", next.SignedAt);
            await write.ExecuteNonQueryAsync(cancellationToken);
            transaction.Commit();
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task EnqueueAsync(string kind, byte[] body, long now, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO outbox (kind, body, created_at) VALUES ($kind, $body, $now)";
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$body", body);
            command.Parameters.AddWithValue("$now", now);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The oldest undelivered, unparked rows, in the order they were written.</summary>
    public async Task<IReadOnlyList<OutboxRow>> PendingAsync(int limit, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT id, kind, body, attempts FROM outbox WHERE parked = 0 ORDER BY id LIMIT $limit";
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<OutboxRow>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetString(1), (byte[])reader["body"], reader.GetInt32(3)));
            }

            return rows;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task DeliveredAsync(long id, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM outbox WHERE id = $id", id, null, cancellationToken);

    public Task FailedAsync(long id, string error, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE outbox SET attempts = attempts + 1, last_error = $error WHERE id = $id", id, error, cancellationToken);

    /// <summary>Set aside a row storage refused for good (e.g. another key under our kid): kept for operators, never retried.</summary>
    public Task ParkAsync(long id, string error, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE outbox SET attempts = attempts + 1, parked = 1, last_error = $error WHERE id = $id", id, error, cancellationToken);

    /// <summary>(waiting, parked) row counts.</summary>
    public async Task<(long Pending, long Parked)> CountsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT coalesce(sum(parked = 0), 0), coalesce(sum(parked = 1), 0) FROM outbox";
            using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ExecuteAsync(string sql, long id, string? error, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$id", id);
            if (error is not null)
            {
                command.Parameters.AddWithValue("$error", error);
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }
}
