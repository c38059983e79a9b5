using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyPublishing;
using Strongroom.Persistence;

namespace Strongroom.KeyService.Domain;

/// <summary>
/// keyservice's durable replay budget (DESIGN §3.2): per request, how many unwraps were granted and
/// whether the runner completed it. SQLite, created 0600, WAL, synchronous=FULL; a grant is
/// committed before the private-key operation it pays for, so a crash can only lose budget, never
/// give it back.
/// </summary>
public sealed class RequestLedger : IDisposable
{
    /// <summary>At most this many unwraps per request (a runner retrying after a crash, not a decryption service).</summary>
    public const int MaxUnwraps = 3;

    private readonly SqliteConnection _connection;
    private readonly GroupCommit _commits;

    private RequestLedger(SqliteConnection connection)
    {
        _connection = connection;
        _commits = new GroupCommit(connection);
    }

    public static RequestLedger Open(string path)
    {
        var connection = KeyOutbox.OpenPrivateSqlite(path);
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS request_budget (
                    replay_key BLOB PRIMARY KEY,
                    unwraps INTEGER NOT NULL DEFAULT 0,
                    completed INTEGER NOT NULL DEFAULT 0,
                    expires_at INTEGER);
                """;
            command.ExecuteNonQuery();
            return new RequestLedger(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>StudioML's replay key: SHA-256 of the payload string as sent.</summary>
    public static byte[] StudioMlKey(ReadOnlySpan<byte> payloadSha256) => [0x01, .. payloadSha256];

    public static byte[] StudioMlKey(string payload) => StudioMlKey(StudioMlPayload.ReplayDigest(payload));

    /// <summary>A Strongroom envelope's replay key: (client identity, request id), length-prefixed.</summary>
    public static byte[] StrongroomKey(string clientIdentity, ReadOnlySpan<byte> requestId)
    {
        var identity = Encoding.UTF8.GetBytes(clientIdentity);
        return [0x02, .. BitConverter.GetBytes(identity.Length), .. identity, .. requestId];
    }

    /// <summary>
    /// Spends one unwrap of <paramref name="replayKey"/> durably, or refuses: FAILED_PRECONDITION once
    /// the request was completed, RESOURCE_EXHAUSTED after <see cref="MaxUnwraps"/>. Returns only
    /// after the COMMIT that holds the grant (see <see cref="WriteAsync"/>).
    /// </summary>
    public Task SpendAsync(byte[] replayKey, long? expiresAt, CancellationToken cancellationToken) => WriteAsync(() =>
    {
        var (unwraps, completed) = Read(replayKey);
        if (completed)
        {
            throw StrongroomException.FailedPrecondition("request already completed: keyservice unwraps it no more");
        }

        if (unwraps >= MaxUnwraps)
        {
            throw StrongroomException.ResourceExhausted($"request already unwrapped {MaxUnwraps} times: its unwrap budget is spent");
        }

        using var command = _connection.CreateCommand();
        command.CommandText = """
            INSERT INTO request_budget (replay_key, unwraps, completed, expires_at) VALUES ($k, 1, 0, $e)
            ON CONFLICT (replay_key) DO UPDATE SET unwraps = unwraps + 1
            """;
        command.Parameters.AddWithValue("$k", replayKey);
        command.Parameters.AddWithValue("$e", (object?)expiresAt ?? DBNull.Value);
        command.ExecuteNonQuery();
        return 0;
    }, cancellationToken);

    /// <summary>Marks the request completed, durably; idempotent.</summary>
    public Task CompleteAsync(byte[] replayKey, CancellationToken cancellationToken) => WriteAsync(() =>
    {
        using var command = _connection.CreateCommand();
        command.CommandText = """
            INSERT INTO request_budget (replay_key, unwraps, completed) VALUES ($k, 0, 1)
            ON CONFLICT (replay_key) DO UPDATE SET completed = 1
            """;
        command.Parameters.AddWithValue("$k", replayKey);
        return command.ExecuteNonQuery();
    }, cancellationToken);

    /// <summary>The unwraps granted so far and whether the request is completed.</summary>
    public async Task<(int Unwraps, bool Completed)> GetAsync(byte[] replayKey, CancellationToken cancellationToken)
    {
        await using var lease = await _commits.EnterAsync(cancellationToken);
        return Read(replayKey);
    }

    /// <summary>
    /// Forgets Strongroom requests whose expiry (plus skew) is before <paramref name="before"/>:
    /// their envelopes are refused as expired anyway. StudioML digests never expire.
    /// </summary>
    public Task<int> PurgeExpiredAsync(long before, CancellationToken cancellationToken) => WriteAsync(() =>
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "DELETE FROM request_budget WHERE expires_at IS NOT NULL AND expires_at < $b";
        command.Parameters.AddWithValue("$b", before);
        return command.ExecuteNonQuery();
    }, cancellationToken);

    /// <summary>
    /// Group commit (<see cref="GroupCommit"/>): one fsync for the grants that queued up meanwhile
    /// instead of one per Decapsulate, which serialized every unwrap behind the disk. A write returns
    /// only after the COMMIT that holds it, so a grant is still durable before the private-key
    /// operation it pays for; if that COMMIT fails, every write in it fails and no key operation follows.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await using var lease = await _commits.EnterAsync(cancellationToken);
        using var savepoint = lease.BeginWrite();
        var result = work();
        savepoint.Keep();
        return result;
    }

    public void Dispose()
    {
        _commits.Dispose();
        _connection.Dispose();
    }

    private (int Unwraps, bool Completed) Read(byte[] replayKey)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT unwraps, completed FROM request_budget WHERE replay_key = $k";
        command.Parameters.AddWithValue("$k", replayKey);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt32(0), reader.GetInt64(1) != 0) : (0, false);
    }
}
