using Microsoft.Data.Sqlite;
using Strongroom.KeyPublishing;

namespace Strongroom.Signer.Domain;

/// <summary>The last checkpoint the signer signed; size 0 and no note before the first.</summary>
public sealed record SignedCheckpoint(long TreeSize, byte[] RootHash, string Note, long SignedAt)
{
    public static SignedCheckpoint None { get; } = new(0, [], "", 0);
}

/// <summary>
/// The signer's own durable state in one SQLite file (created 0600, WAL, synchronous=FULL): the last
/// signed checkpoint — which is what stops storage from forking the log, so it is written before a
/// signature is returned. The same file holds the outbox of key publications
/// (<see cref="KeyOutbox"/>, its own table and connection), so signing never waits for storage.
/// </summary>
public sealed class SignerState : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SignerState(SqliteConnection connection) => _connection = connection;

    public static SignerState Open(string path)
    {
        var connection = KeyOutbox.OpenPrivateSqlite(path);
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS checkpoint (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    tree_size INTEGER NOT NULL,
                    root_hash BLOB NOT NULL,
                    note TEXT NOT NULL,
                    signed_at INTEGER NOT NULL);
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

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }
}
