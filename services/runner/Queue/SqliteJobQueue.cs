using System.Data.Common;
using Microsoft.Data.Sqlite;
using static Strongroom.Core.Sql;

namespace Strongroom.Runner.Queue;

/// <summary>
/// The single-machine default: one SQLite file (created 0600) in WAL mode with synchronous=FULL,
/// so an accepted job is on disk before Submit returns and survives kill -9. One writing
/// connection, so writes are serialized. Group commit: writes that arrive while another holds the
/// connection join one open BEGIN IMMEDIATE transaction, each in its own SAVEPOINT (so one write's
/// rollback leaves the others), and the last of them (or the 32nd) commits — one fsync for the
/// group. No caller is answered before the COMMIT that holds its write has returned, so an accepted
/// job is still durable before Submit answers; if that COMMIT fails, every write in it fails.
/// Single reads of a job use a second, read-only connection (WAL readers see only committed data
/// and never wait for a writer's fsync).
/// </summary>
public sealed class SqliteJobQueue : SqlJobQueue
{
    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _reader;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _readGate = new(1, 1);

    /// <summary>Writes per group commit at most, so the first of a group waits a bounded time.</summary>
    private const int MaxGroup = 32;

    /// <summary>A write whose group was not committed by then commits it itself (its committer went away).</summary>
    private static readonly TimeSpan StragglerDelay = TimeSpan.FromMilliseconds(50);

    private int _waiting;

    // Guarded by _gate.
    private Group? _group;
    private bool _leaseWrote;
    private long _savepoints;

    /// <summary>The writes sharing one open transaction, answered together when it commits.</summary>
    private sealed class Group
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Writes { get; set; }
    }

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
        Interlocked.Increment(ref _waiting);
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        _leaseWrote = false;
        return (_connection, ReleaseAsync);
    }

    /// <summary>Ends a use of the connection: commits the group when nobody else is waiting to join it, then waits for the group's commit if this use wrote.</summary>
    private async ValueTask ReleaseAsync()
    {
        var group = _group;
        var wrote = _leaseWrote;
        _leaseWrote = false;
        if (group is not null && (Volatile.Read(ref _waiting) == 0 || group.Writes >= MaxGroup))
        {
            CommitGroup();
        }

        _gate.Release();
        if (wrote && group is not null)
        {
            await AwaitCommitAsync(group);
        }
    }

    private async Task AwaitCommitAsync(Group group)
    {
        while (true)
        {
            if (await Task.WhenAny(group.Committed.Task, Task.Delay(StragglerDelay)) == group.Committed.Task)
            {
                await group.Committed.Task;
                return;
            }

            // Whoever was meant to commit (a waiter that gave up, say) did not: commit it here.
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                if (ReferenceEquals(_group, group))
                {
                    CommitGroup();
                }
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>Under the gate: COMMIT (one fsync) and answer every write of the group.</summary>
    private void CommitGroup()
    {
        var group = _group!;
        _group = null;
        try
        {
            Run("COMMIT");
            group.Committed.TrySetResult();
        }
#pragma warning disable CA1031 // Every write of the group gets the failure; the connection must be left usable.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                Run("ROLLBACK");
            }
            catch (SqliteException)
            {
                // Already rolled back by SQLite.
            }

            group.Committed.TrySetException(ex);
        }
    }

    protected override Task<QueueWrite> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (_group is null)
        {
            Run("BEGIN IMMEDIATE");
            _group = new Group();
        }

        _group.Writes++;
        _leaseWrote = true;
        var name = "w" + (++_savepoints).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Run("SAVEPOINT " + name);
        return Task.FromResult<QueueWrite>(new SavepointWrite(this, name));
    }

    private void Run(string sql)
    {
        using var command = _connection.CreateCommand();
#pragma warning disable CA2100 // Constant statements and generated savepoint names only.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }

    /// <summary>One write inside the group's transaction: RELEASE keeps it, ROLLBACK TO undoes only it.</summary>
    private sealed class SavepointWrite(SqliteJobQueue queue, string name) : QueueWrite
    {
        private bool _done;

        public override DbTransaction? Transaction => null;

        public override Task CommitAsync(CancellationToken cancellationToken)
        {
            queue.Run("RELEASE " + name);
            _done = true;
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync()
        {
            if (!_done)
            {
                _done = true;
                queue.Run("ROLLBACK TO " + name);
                queue.Run("RELEASE " + name);
            }

            return ValueTask.CompletedTask;
        }
    }

    protected override bool IsUniqueViolation(DbException exception) => exception is SqliteException { SqliteErrorCode: 19 };

    public override void Dispose()
    {
        if (_group is not null)
        {
            CommitGroup();
        }

        _reader.Dispose();
        _connection.Dispose();
        _gate.Dispose();
        _readGate.Dispose();
    }
}
