using System.Data.Common;
using Microsoft.Data.Sqlite;
using static Strongroom.Persistence.Sql;

namespace Strongroom.Storage.Store;

/// <summary>
/// The embedded default: one SQLite file (created 0600; -wal and -shm inherit the mode) in WAL
/// mode with synchronous=FULL, so a commit is on disk before the call returns and survives kill -9;
/// secure_delete=ON. One connection, every operation serialized.
/// </summary>
public sealed class SqliteStorageStore : SqlStorageStore
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteStorageStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    public string Path { get; }

    public static SqliteStorageStore Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
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

        return new SqliteStorageStore(connection, full);
    }

    protected override async Task<DbLease> LeaseAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new DbLease(_connection, () =>
        {
            _gate.Release();
            return ValueTask.CompletedTask;
        });
    }

    // BEGIN IMMEDIATE: the write lock is taken at once (one process holds the file anyway).
    protected override Task<DbTransaction> BeginAppendTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }
}
