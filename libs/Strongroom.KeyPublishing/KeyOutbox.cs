using Microsoft.Data.Sqlite;

namespace Strongroom.KeyPublishing;

/// <summary>A publication waiting for storage: a serialized PublishKey or PublishKeyEvent request.</summary>
public sealed record OutboxRow(long Id, string Kind, byte[] Body, int Attempts);

/// <summary>
/// The durable outbox of key publications, in its own <c>outbox</c> table of a SQLite file (created
/// 0600, WAL, synchronous=FULL). The file may be shared with other state of the service (the
/// signer keeps it next to its last checkpoint); this class touches only its own table. A row is
/// written once the change it reports is durable and deleted only after storage acknowledged it.
/// </summary>
public sealed class KeyOutbox : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private KeyOutbox(SqliteConnection connection) => _connection = connection;

    public static KeyOutbox Open(string path)
    {
        var connection = OpenPrivateSqlite(path);
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
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
            return new KeyOutbox(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens (creating 0600 when missing) a SQLite file in WAL mode with synchronous=FULL, unpooled.
    /// Shared with other single-file state stores of the services (e.g. the signer's checkpoint).
    /// </summary>
    public static SqliteConnection OpenPrivateSqlite(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (!File.Exists(full))
        {
            var create = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write };
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
                PRAGMA busy_timeout = 10000;
                """;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
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
