using System.ComponentModel.DataAnnotations;
using Strongroom.KeyCustody;
using Strongroom.KeyPublishing;

namespace Strongroom.Signer;

/// <summary>Bound from the <c>Signer</c> section.</summary>
public sealed class SignerOptions
{
    public const string SectionName = "Signer";

    /// <summary>The SQLite key store (created 0600, WAL, synchronous=FULL, secure_delete=ON).</summary>
    [Required]
    public string KeyStorePath { get; set; } = "data/signer/keys.db";

    /// <summary>The signer's own state: the last signed checkpoint and the publishing outbox (<see cref="KeyOutbox"/>).</summary>
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
