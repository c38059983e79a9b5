using System.Data.Common;
using System.Globalization;

namespace Strongroom.Persistence;

/// <summary>
/// Group commit over one writing connection (SQLite in WAL mode with synchronous=FULL, where every
/// COMMIT is an fsync): writes that arrive while another holds the connection join one open
/// BEGIN IMMEDIATE transaction, each in its own SAVEPOINT so a refused write rolls back alone, and
/// the last of them (or the <see cref="MaxGroup"/>th) commits — one fsync for the group. Nobody who
/// took part in a group is answered before the COMMIT that holds it has returned, so "accepted"
/// still means "durable"; if that COMMIT fails, every write in it fails. Used by the runner's queue
/// and keyservice's request ledger, whose per-write fsync serialized their callers behind the disk.
/// </summary>
public sealed class GroupCommit : IDisposable
{
    /// <summary>Writes per group at most, so the first of a group waits a bounded time.</summary>
    public const int MaxGroup = 32;

    /// <summary>A writer whose group was not committed by then commits it itself (its committer went away).</summary>
    private static readonly TimeSpan StragglerDelay = TimeSpan.FromMilliseconds(50);

    private readonly DbConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _waiting;

    // Guarded by _gate.
    private Group? _group;
    private long _savepoints;

    public GroupCommit(DbConnection connection) => _connection = connection;

    /// <summary>Takes the connection; dispose the lease to let the next caller in (and to wait for the group's commit if this use wrote).</summary>
    public async Task<Lease> EnterAsync(CancellationToken cancellationToken)
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

        return new Lease(this);
    }

    /// <summary>One use of the connection, under the gate.</summary>
    public sealed class Lease : IAsyncDisposable
    {
        private readonly GroupCommit _owner;
        private Group? _joined;
        private bool _released;

        internal Lease(GroupCommit owner) => _owner = owner;

        /// <summary>Starts a write in the open group (opening one if none is): <see cref="Savepoint.Keep"/> keeps it, disposing without it undoes only it.</summary>
        public Savepoint BeginWrite()
        {
            ObjectDisposedException.ThrowIf(_released, this);
            var group = _owner._group;
            if (group is null)
            {
                _owner.Run("BEGIN IMMEDIATE");
                group = _owner._group = new Group();
            }

            // Whoever wrote, or read what the group wrote, is answered only once the group is durable.
            group.Writes++;
            _joined = group;
            var name = "w" + (++_owner._savepoints).ToString(CultureInfo.InvariantCulture);
            _owner.Run("SAVEPOINT " + name);
            return new Savepoint(_owner, name);
        }

        public async ValueTask DisposeAsync()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            _owner.Leave();
            if (_joined is not null)
            {
                await _owner.AwaitCommitAsync(_joined);
            }
        }
    }

    /// <summary>One write inside the group's transaction: RELEASE keeps it, ROLLBACK TO undoes only it.</summary>
    public sealed class Savepoint : IDisposable
    {
        private readonly GroupCommit _owner;
        private readonly string _name;
        private bool _done;

        internal Savepoint(GroupCommit owner, string name)
        {
            _owner = owner;
            _name = name;
        }

        public void Keep()
        {
            ObjectDisposedException.ThrowIf(_done, this);
            _owner.Run("RELEASE " + _name);
            _done = true;
        }

        public void Dispose()
        {
            if (!_done)
            {
                _done = true;
                _owner.Run("ROLLBACK TO " + _name);
                _owner.Run("RELEASE " + _name);
            }
        }
    }

    /// <summary>Under the gate: commits the open group when nobody is waiting to join it (or it is full), then lets the next caller in.</summary>
    private void Leave()
    {
        if (_group is { } group && (Volatile.Read(ref _waiting) == 0 || group.Writes >= MaxGroup))
        {
            CommitGroup();
        }

        _gate.Release();
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
#pragma warning disable CA1031 // Every write of the group gets the failure; the connection must stay usable.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                Run("ROLLBACK");
            }
            catch (DbException)
            {
                // The database already rolled back.
            }

            group.Committed.TrySetException(ex);
        }
    }

    private void Run(string sql)
    {
        using var command = _connection.CreateCommand();
#pragma warning disable CA2100 // Constant statements and generated savepoint names only.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }

    /// <summary>The writes sharing one open transaction, answered together when it commits.</summary>
    private sealed class Group
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Writes { get; set; }
    }

    /// <summary>Commits what is open; the owner disposes the connection.</summary>
    public void Dispose()
    {
        if (_group is not null)
        {
            CommitGroup();
        }

        _gate.Dispose();
    }
}
