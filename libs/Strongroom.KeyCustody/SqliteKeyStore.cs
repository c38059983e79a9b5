using Microsoft.Data.Sqlite;

namespace Strongroom.KeyCustody;

/// <summary>
/// The embedded key store: one SQLite file (created 0600) in WAL mode with synchronous=FULL and
/// secure_delete=ON, used through a single connection. Wrapped material lives in its own table so
/// destroying a version deletes whole rows, which secure_delete zeroes; the WAL is then checkpointed
/// and truncated so no frame keeps the old page.
/// </summary>
public sealed class SqliteKeyStore : IKeyStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteKeyStore(SqliteConnection connection) => _connection = connection;

    public string Path { get; private init; } = "";

    public static SqliteKeyStore Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        if (!File.Exists(full))
        {
            // SQLite gives -wal and -shm the database file's mode, so 0600 here covers all three.
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
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA secure_delete = ON;
                PRAGMA foreign_keys = ON;
                CREATE TABLE IF NOT EXISTS keys (
                    name TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    primary_version INTEGER NOT NULL,
                    minimum_version INTEGER NOT NULL,
                    rotation_seconds INTEGER NOT NULL,
                    destroy_grace_seconds INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    next_rotation_at INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS key_versions (
                    key_name TEXT NOT NULL REFERENCES keys(name),
                    version INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    public_key BLOB NOT NULL,
                    kms_version INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    destroy_at INTEGER,
                    destroyed_at INTEGER,
                    imported INTEGER NOT NULL DEFAULT 0,
                    revoked INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (key_name, version));
                CREATE TABLE IF NOT EXISTS key_material (
                    key_name TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    sealed_key BLOB NOT NULL,
                    wrapped_dek BLOB NOT NULL,
                    PRIMARY KEY (key_name, version),
                    FOREIGN KEY (key_name, version) REFERENCES key_versions(key_name, version));
                """);
            return new SqliteKeyStore(connection) { Path = full };
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public Task<bool> TryCreateKeyAsync(ManagedKey key, CancellationToken cancellationToken) => Locked(() =>
    {
        using var cmd = Command("""
            INSERT INTO keys (name, kind, primary_version, minimum_version, rotation_seconds, destroy_grace_seconds, created_at, next_rotation_at)
            VALUES ($name, $kind, $primary, $minimum, $rotation, $grace, $created, $next)
            ON CONFLICT(name) DO NOTHING
            """, KeyParameters(key));
        return cmd.ExecuteNonQuery() == 1;
    }, cancellationToken);

    public Task<ManagedKey?> GetKeyAsync(string name, CancellationToken cancellationToken) => Locked(() =>
    {
        using var cmd = Command("SELECT name, kind, primary_version, minimum_version, rotation_seconds, destroy_grace_seconds, created_at, next_rotation_at FROM keys WHERE name = $name", ("$name", name));
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? ReadKey(reader) : null;
    }, cancellationToken);

    public Task<IReadOnlyList<ManagedKey>> ListKeysAsync(CancellationToken cancellationToken) => Locked<IReadOnlyList<ManagedKey>>(() =>
    {
        using var cmd = Command("SELECT name, kind, primary_version, minimum_version, rotation_seconds, destroy_grace_seconds, created_at, next_rotation_at FROM keys ORDER BY name");
        using var reader = cmd.ExecuteReader();
        var keys = new List<ManagedKey>();
        while (reader.Read())
        {
            keys.Add(ReadKey(reader));
        }

        return keys;
    }, cancellationToken);

    public Task<IReadOnlyList<KeyVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken) => Locked<IReadOnlyList<KeyVersion>>(() =>
    {
        using var cmd = Command(VersionSelect + " WHERE key_name = $name ORDER BY version", ("$name", name));
        using var reader = cmd.ExecuteReader();
        var versions = new List<KeyVersion>();
        while (reader.Read())
        {
            versions.Add(ReadVersion(reader));
        }

        return versions;
    }, cancellationToken);

    public Task<KeyVersion?> GetVersionAsync(string name, int version, CancellationToken cancellationToken) => Locked(() =>
    {
        using var cmd = Command(VersionSelect + " WHERE key_name = $name AND version = $version", ("$name", name), ("$version", version));
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? ReadVersion(reader) : null;
    }, cancellationToken);

    public Task AddVersionAsync(KeyVersion version, WrappedKeyMaterial material, long? nextRotationAt, CancellationToken cancellationToken) => Locked(() =>
    {
        using var tx = _connection.BeginTransaction();
        using (var cmd = Command("""
            INSERT INTO key_versions (key_name, version, state, public_key, kms_version, created_at, destroy_at, destroyed_at, imported, revoked)
            VALUES ($name, $version, $state, $public, $kms, $created, NULL, NULL, $imported, 0)
            """, ("$name", version.KeyName), ("$version", version.Version), ("$state", version.State.ToString()),
            ("$public", version.PublicKey), ("$kms", version.KmsVersion), ("$created", version.CreatedAt), ("$imported", version.Imported)))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }

        using (var cmd = Command("INSERT INTO key_material (key_name, version, sealed_key, wrapped_dek) VALUES ($name, $version, $sealed, $dek)",
            ("$name", version.KeyName), ("$version", version.Version), ("$sealed", material.SealedKey), ("$dek", material.WrappedDek)))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }

        if (nextRotationAt is { } next)
        {
            using var cmd = Command("UPDATE keys SET primary_version = $version, next_rotation_at = $next WHERE name = $name",
                ("$name", version.KeyName), ("$version", version.Version), ("$next", next));
            cmd.Transaction = tx;
            if (cmd.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException("key vanished during rotation");
            }
        }

        tx.Commit();
        return true;
    }, cancellationToken);

    public Task<WrappedKeyMaterial?> GetMaterialAsync(string name, int version, CancellationToken cancellationToken) => Locked(() =>
    {
        using var cmd = Command("SELECT sealed_key, wrapped_dek FROM key_material WHERE key_name = $name AND version = $version", ("$name", name), ("$version", version));
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? new WrappedKeyMaterial((byte[])reader[0], (byte[])reader[1]) : null;
    }, cancellationToken);

    public Task UpdateVersionStateAsync(string name, int version, KeyVersionState state, long? destroyAt, long? destroyedAt, CancellationToken cancellationToken) => Locked(() =>
    {
        using var cmd = Command("UPDATE key_versions SET state = $state, destroy_at = $destroyAt, destroyed_at = $destroyedAt WHERE key_name = $name AND version = $version",
            ("$name", name), ("$version", version), ("$state", state.ToString()), ("$destroyAt", destroyAt), ("$destroyedAt", destroyedAt));
        return cmd.ExecuteNonQuery();
    }, cancellationToken);

    public Task EraseMaterialAsync(string name, int version, CancellationToken cancellationToken) => Locked(() =>
    {
        using (var cmd = Command("DELETE FROM key_material WHERE key_name = $name AND version = $version", ("$name", name), ("$version", version)))
        {
            cmd.ExecuteNonQuery();
        }

        // The committed DELETE left zeroed pages (secure_delete); copy them into the database and
        // truncate the WAL so no earlier frame with the material survives in the -wal file.
        for (var attempt = 0; ; attempt++)
        {
            using var cmd = Command("PRAGMA wal_checkpoint(TRUNCATE)");
            using var reader = cmd.ExecuteReader();
            reader.Read();
            if (reader.GetInt32(0) == 0)
            {
                break;
            }

            if (attempt >= 50)
            {
                throw new InvalidOperationException("could not checkpoint the key store after erasing key material");
            }

            Thread.Sleep(20);
        }

        return true;
    }, cancellationToken);

    public Task SetRevokedAsync(string name, int version, CancellationToken cancellationToken) => Locked(() =>
    {
        using var cmd = Command("UPDATE key_versions SET revoked = 1 WHERE key_name = $name AND version = $version", ("$name", name), ("$version", version));
        return cmd.ExecuteNonQuery();
    }, cancellationToken);

    public Task UpdateKeyAsync(ManagedKey key, CancellationToken cancellationToken) => Locked(() =>
    {
        using var cmd = Command("""
            UPDATE keys SET primary_version = $primary, minimum_version = $minimum, rotation_seconds = $rotation,
                destroy_grace_seconds = $grace, next_rotation_at = $next WHERE name = $name
            """, KeyParameters(key));
        return cmd.ExecuteNonQuery();
    }, cancellationToken);

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }

    private const string VersionSelect = "SELECT key_name, version, state, public_key, kms_version, created_at, destroy_at, destroyed_at, imported, revoked FROM key_versions";

    private static (string, object?)[] KeyParameters(ManagedKey key) =>
    [
        ("$name", key.Name), ("$kind", key.Kind), ("$primary", key.PrimaryVersion), ("$minimum", key.MinimumVersion),
        ("$rotation", (long)key.RotationPeriod.TotalSeconds), ("$grace", (long)key.DestroyGrace.TotalSeconds),
        ("$created", key.CreatedAt), ("$next", key.NextRotationAt),
    ];

    private static ManagedKey ReadKey(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3),
        TimeSpan.FromSeconds(r.GetInt64(4)), TimeSpan.FromSeconds(r.GetInt64(5)), r.GetInt64(6), r.GetInt64(7));

    private static KeyVersion ReadVersion(SqliteDataReader r) => new(
        r.GetString(0), r.GetInt32(1), Enum.Parse<KeyVersionState>(r.GetString(2)), (byte[])r[3], r.GetInt32(4), r.GetInt64(5),
        r.IsDBNull(6) ? null : r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.GetBoolean(8), r.GetBoolean(9));

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        }

        return cmd;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private async Task<T> Locked<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return work();
        }
        finally
        {
            _gate.Release();
        }
    }
}
