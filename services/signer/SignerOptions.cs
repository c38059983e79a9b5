using System.ComponentModel.DataAnnotations;
using Strongroom.KeyCustody;

namespace Strongroom.Signer;

/// <summary>Bound from the <c>Signer</c> section.</summary>
public sealed class SignerOptions
{
    public const string SectionName = "Signer";

    /// <summary>The SQLite key store (created 0600, WAL, synchronous=FULL, secure_delete=ON).</summary>
    [Required]
    public string KeyStorePath { get; set; } = "data/signer/keys.db";

    /// <summary>The signer's own state: the last signed checkpoint and the publishing outbox.</summary>
    [Required]
    public string StatePath { get; set; } = "data/signer/signer.db";

    /// <summary>The JWS key used when a Sign request names none; created on start when missing.</summary>
    [Required]
    [RegularExpression(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    public string DefaultKeyName { get; set; } = "results";

    /// <summary>The one key of purpose LOG_CHECKPOINT; created on start when missing. It signs no JWS.</summary>
    [Required]
    [RegularExpression(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    public string LogKeyName { get; set; } = "keylog";

    /// <summary>Deployment name: checkpoints' origin line is <c>strongroom/keylog/&lt;Deployment&gt;</c>.</summary>
    [Required]
    [RegularExpression(@"\A[a-z0-9][a-z0-9.-]{0,62}\z")]
    public string Deployment { get; set; } = "local";

    /// <summary>Largest payload Sign accepts (results carry digests of large outputs, not the outputs).</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>How often due rotations and destructions are carried out.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    public KeyCustodyOptions Custody { get; set; } = new();

    public PublishingOptions Publishing { get; set; } = new();

    public string Origin => "strongroom/keylog/" + Deployment;
}

/// <summary>Where and how key publications (outbox rows) are delivered to storage.</summary>
public sealed class PublishingOptions
{
    /// <summary>https://host:port of storage's public listener.</summary>
    [Required]
    public string Address { get; set; } = "https://127.0.0.1:7404";

    /// <summary>The identity storage's certificate must carry.</summary>
    [Required]
    public string Identity { get; set; } = "storage";

    /// <summary>Deadline of each PublishKey / PublishKeyEvent call.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait after a failed delivery before the outbox is tried again.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Off: rows accumulate in the outbox and nothing is sent (e.g. before storage exists).</summary>
    public bool Enabled { get; set; } = true;
}
