using System.Data.Common;
using System.Text.RegularExpressions;
using Npgsql;
using static Strongroom.Persistence.Sql;

namespace Strongroom.Storage.Store;

/// <summary>
/// PostgreSQL for several storage replicas: storage's own schema (and, in deployment, its own role
/// owning only that schema), synchronous_commit forced on so an acknowledged write is flushed;
/// appenders serialize on a transaction-scoped advisory lock, so kid and alias binding stay
/// atomic across replicas.
/// </summary>
public sealed partial class PostgresStorageStore : SqlStorageStore
{
    /// <summary>Arbitrary, fixed: the advisory lock key of key-log appends.</summary>
    private const long AppendLockKey = 0x5354_4f52_4c4f_47;

    private readonly NpgsqlDataSource _dataSource;

    private PostgresStorageStore(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    public static async Task<PostgresStorageStore> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken = default)
    {
        if (!SchemaName().IsMatch(schema))
        {
            throw new ArgumentException("schema must match [a-z_][a-z0-9_]{0,62}", nameof(schema));
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            SearchPath = schema,
            Options = "-c synchronous_commit=on",
        };
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = Command(connection, null, $"CREATE SCHEMA IF NOT EXISTS {schema};" + Schema("BIGINT", "BYTEA", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }

        return new PostgresStorageStore(dataSource);
    }

    protected override async Task<DbLease> LeaseAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return new DbLease(connection, connection.DisposeAsync);
    }

    protected override async Task<DbTransaction> BeginAppendTransactionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        await using var command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", ("key", AppendLockKey));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    public override void Dispose() => _dataSource.Dispose();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
