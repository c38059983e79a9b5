using System.Data.Common;
using Microsoft.Data.Sqlite;
using Strongroom.Persistence;
using static Strongroom.Persistence.Sql;

namespace Strongroom.Runner.Queue;

/// <summary>
/// The single-machine default: one SQLite file (created 0600) in WAL mode with synchronous=FULL,
/// so an accepted job is on disk before Submit returns and survives kill -9. One writing
/// connection, so writes are serialized, and committed in groups (<see cref="GroupCommit"/>): one
/// fsync for the writes that queued up meanwhile, and no caller is answered before the COMMIT that
/// holds its write has returned, so an accepted job is still durable before Submit answers.
/// Single reads of a job use a second, read-only connection (WAL readers see only committed data
/// and never wait for a writer's fsync).
/// </summary>
public sealed class SqliteJobQueue : SqlJobQueue
{
    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _reader;
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private readonly GroupCommit _commits;

    // The writing connection's current user (set and cleared under GroupCommit's gate).
    private GroupCommit.Lease? _lease;

    private SqliteJobQueue(SqliteConnection connection, SqliteConnection reader)
    {
        _connection = connection;
        _reader = reader;
        _commits = new GroupCommit(connection);
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
        var lease = await _commits.EnterAsync(cancellationToken);
        _lease = lease;
        return (_connection, () =>
        {
            _lease = null;
            return lease.DisposeAsync();  // lets the next caller in, then waits for the group's COMMIT if this use wrote
        });
    }

    protected override Task<QueueWrite> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<QueueWrite>(new SavepointWrite(_lease!.BeginWrite()));

    /// <summary>One write inside the group's transaction: RELEASE keeps it, ROLLBACK TO undoes only it.</summary>
    private sealed class SavepointWrite(GroupCommit.Savepoint savepoint) : QueueWrite
    {
        public override DbTransaction? Transaction => null;

        public override Task CommitAsync(CancellationToken cancellationToken)
        {
            savepoint.Keep();
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync()
        {
            savepoint.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    protected override bool IsUniqueViolation(DbException exception) => exception is SqliteException { SqliteErrorCode: 19 };

    public override void Dispose()
    {
        _commits.Dispose();
        _reader.Dispose();
        _connection.Dispose();
        _readGate.Dispose();
    }
}
