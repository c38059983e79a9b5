using System.ComponentModel.DataAnnotations;
using Strongroom.Transport.Channels;

namespace Strongroom.Storage;

public enum StorageBackend
{
    Sqlite = 1,
    Postgres,
}

/// <summary>Bound from the <c>Storage</c> section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Deployment name; the checkpoint origin is <c>strongroom/keylog/&lt;deployment&gt;</c>.</summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9.-]{0,62}$")]
    public string Deployment { get; set; } = "dev";

    public StorageBackend Backend { get; set; } = StorageBackend.Sqlite;

    /// <summary>SQLite database file (created 0600, WAL, synchronous=FULL, secure_delete=ON).</summary>
    public string SqlitePath { get; set; } = "data/storage/storage.db";

    /// <summary>Npgsql connection string (Backend = Postgres); storage's own role.</summary>
    public string PostgresConnectionString { get; set; } = "";

    /// <summary>storage's own schema (Backend = Postgres).</summary>
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string PostgresSchema { get; set; } = "storage";

    /// <summary>
    /// Operator public keys (Ed25519 JWK JSON) whose JWS authorizes client registrations and
    /// revocations. Pinned here, never learned from a request.
    /// </summary>
    public List<string> OperatorKeys { get; set; } = [];

    /// <summary>
    /// The signer's checkpoint note verifier key (<c>name+hash+base64</c>, from SignerAdmin.GetLogKey).
    /// When set, storage checks every checkpoint the signer returns before serving it.
    /// </summary>
    public string? LogVerifierKey { get; set; }

    /// <summary>The signer's public listener, for SignCheckpoint.</summary>
    public DownstreamOptions Signer { get; set; } = new() { Address = "https://127.0.0.1:7403", Identity = "signer" };

    /// <summary>Read-only HTTPS listener for the JWKS and the latest checkpoint (no client certificate). Empty: none.</summary>
    public string? ReadOnlyListener { get; set; } = "127.0.0.1:7424";

    /// <summary>Largest stored output (sealed or clear), bytes.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest signed result (compact JWS), bytes.</summary>
    [Range(256, 1024 * 1024)]
    public int MaxSignedResultBytes { get; set; } = 64 * 1024;
}
