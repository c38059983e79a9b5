using System.Data.Common;
using Microsoft.Data.Sqlite;
using static Strongroom.Core.Sql;

namespace Strongroom.Runner.Queue;

/// <summary>
/// The single-machine default: one SQLite file (created 0600) in WAL mode with synchronous=FULL,
/// so an accepted job is on disk before Submit returns and survives kill -9. One connection; every
/// write is BEGIN IMMEDIATE, so leases are serialized. Single reads of a job use a second,
/// read-only connection (WAL readers see the last commit and never wait for a writer's fsync).
/// </summary>
public sealed class SqliteJobQueue : SqlJobQueue
{
    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _reader;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _readGate = new(1, 1);

    private SqliteJobQueue(SqliteConnection connection, SqliteConnection reader)
    {
        _connection = connection;
        _reader = reader;
    }

    public static SqliteJobQueue Open(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (!File.Exists(full))
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            using var _ = new FileStream(full, create);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        try
        {
            using var command = Command(connection, null, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA secure_delete = ON;
                """ + Schema("INTEGER", "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"));
            command.ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            reader.Open();
        }
        catch
        {
            reader.Dispose();
            connection.Dispose();
            throw;
        }

        return new SqliteJobQueue(connection, reader);
    }

    protected override async Task<(DbConnection Connection, Func<ValueTask> Release)> LeaseReadConnectionAsync(CancellationToken cancellationToken)
    {
        await _readGate.WaitAsync(cancellationToken);
        return (_reader, () =>
        {
            _readGate.Release();
            return ValueTask.CompletedTask;
        });
    }

    protected override async Task<(DbConnection Connection, Func<ValueTask> Release)> LeaseConnectionAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return (_connection, () =>
        {
            _gate.Release();
            return ValueTask.CompletedTask;
        });
    }

    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override bool IsUniqueViolation(DbException exception) => exception is SqliteException { SqliteErrorCode: 19 };

    public override void Dispose()
    {
        _reader.Dispose();
        _connection.Dispose();
        _gate.Dispose();
        _readGate.Dispose();
    }
}
