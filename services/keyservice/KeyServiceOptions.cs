using System.ComponentModel.DataAnnotations;
using Strongroom.KeyCustody;
using Strongroom.KeyPublishing;

namespace Strongroom.KeyService;

/// <summary>Bound from the <c>KeyService</c> section.</summary>
public sealed class KeyServiceOptions
{
    public const string SectionName = "KeyService";

    /// <summary>The SQLite key store (created 0600, WAL, synchronous=FULL, secure_delete=ON).</summary>
    [Required]
    public string StorePath { get; set; } = "data/keyservice/keys.db";

    /// <summary>Name of the X25519 key operators seal imported private keys to.</summary>
    [Required]
    public string ImportKeyName { get; set; } = "import";

    /// <summary>How often due rotations and destructions are carried out.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    public KeyCustodyOptions Custody { get; set; } = new();

    /// <summary>
    /// The outbox of key-log publications (SQLite, created 0600, WAL, synchronous=FULL); empty means
    /// <c>outbox.db</c> next to <see cref="StorePath"/>.
    /// </summary>
    public string OutboxPath { get; set; } = "";

    /// <summary>Delivery of every published version and lifecycle event to storage's key log.</summary>
    public PublishingOptions Publishing { get; set; } = new();

    public string ResolvedOutboxPath =>
        string.IsNullOrEmpty(OutboxPath) ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(StorePath))!, "outbox.db") : OutboxPath;
}
