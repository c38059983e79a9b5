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

    /// <summary>
    /// keyservice's replay budgets and completed requests (SQLite, created 0600, WAL,
    /// synchronous=FULL); empty means <c>requests.db</c> next to <see cref="StorePath"/>.
    /// </summary>
    public string RequestLedgerPath { get; set; } = "";

    /// <summary>Storage's key log, where keyservice looks client signing keys up before any unwrap.</summary>
    public KeyLogLookupOptions KeyLog { get; set; } = new();

    public string ResolvedRequestLedgerPath =>
        string.IsNullOrEmpty(RequestLedgerPath) ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(StorePath))!, "requests.db") : RequestLedgerPath;

    public string ResolvedOutboxPath =>
        string.IsNullOrEmpty(OutboxPath) ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(StorePath))!, "outbox.db") : OutboxPath;
}

/// <summary>Where storage's LookupKey is called.</summary>
public sealed class KeyLogLookupOptions
{
    /// <summary>https://host:port of storage's public listener.</summary>
    [Required]
    public string Address { get; set; } = "https://127.0.0.1:7404";

    /// <summary>The identity storage's certificate must carry.</summary>
    [Required]
    public string Identity { get; set; } = "storage";

    /// <summary>Deadline of each LookupKey call.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(10);
}
