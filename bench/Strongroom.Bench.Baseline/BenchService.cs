using Grpc.Core;
using Microsoft.Data.Sqlite;
using Strongroom.Bench.V1;

namespace Strongroom.Bench.Baseline;

/// <summary>The baseline calls: nothing at all, and one durable insert.</summary>
public sealed class BenchService(CommitStore store) : V1.Bench.BenchBase
{
    private static readonly EmptyResponse Nothing = new();

    public override Task<EmptyResponse> Empty(EmptyRequest request, ServerCallContext context) => Task.FromResult(Nothing);

    public override async Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context) =>
        new() { RowId = await store.InsertAsync(request.Payload.ToByteArray(), context.CancellationToken) };
}

/// <summary>
/// One SQLite file in WAL mode with synchronous=FULL: every insert is its own transaction whose
/// commit is fsync'd before the call answers (what "accepted (durable)" costs at minimum).
/// A connection per call from the pool, as the services do.
/// </summary>
public sealed class CommitStore
{
    private readonly string _connectionString;

    public CommitStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS accepted (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)";
        command.ExecuteNonQuery();
    }

    public async Task<long> InsertAsync(byte[] payload, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO accepted (payload) VALUES ($p) RETURNING id";
        command.Parameters.AddWithValue("$p", payload);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
