using System.Data.Common;
using System.Text.RegularExpressions;
using Npgsql;
using static Strongroom.Persistence.Sql;

namespace Strongroom.Runner.Queue;

/// <summary>
/// PostgreSQL for several runner replicas: the runner's own schema, synchronous_commit on, and
/// leases taken with FOR UPDATE SKIP LOCKED, so two replicas never lease the same job; the fence
/// keeps a replica that lost its lease from finishing a job another one runs.
/// </summary>
public sealed partial class PostgresJobQueue : SqlJobQueue
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresJobQueue(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    public static async Task<PostgresJobQueue> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken = default)
    {
        if (!SchemaName().IsMatch(schema))
        {
            throw new ArgumentException("schema must match [a-z_][a-z0-9_]{0,62}", nameof(schema));
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema, Options = "-c synchronous_commit=on" };
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            // Replicas starting together race on CREATE ... IF NOT EXISTS; an advisory lock orders them.
            await using var command = Command(connection, null, $"SELECT pg_advisory_lock(7405); CREATE SCHEMA IF NOT EXISTS {schema};"
                + Schema("BIGINT", "BYTEA", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY") + "SELECT pg_advisory_unlock(7405);");
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }

        return new PostgresJobQueue(dataSource);
    }

    protected override string LockClause => " FOR UPDATE SKIP LOCKED";

    protected override async Task<(DbConnection Connection, Func<ValueTask> Release)> LeaseConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return (connection, connection.DisposeAsync);
    }

    protected override async Task<QueueWrite> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        new TransactionWrite(await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken));

    protected override bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override void Dispose() => _dataSource.Dispose();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
