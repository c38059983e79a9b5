using System.ComponentModel.DataAnnotations;

namespace Strongroom.KmsClient;

/// <summary>Which KMS the client talks to.</summary>
public enum KmsMode
{
    /// <summary>The local services/kms over mTLS (its admin listener), the server's URI SAN checked.</summary>
    Local,

    /// <summary>Google Cloud KMS with Application Default Credentials (Workload Identity on GKE).</summary>
    Google,
}

/// <summary>Configuration of <see cref="KekClient"/> (section <c>KmsClient</c> by convention).</summary>
public sealed class KmsClientOptions
{
    public const string DefaultSectionName = "KmsClient";

    public const string GoogleEndpoint = "https://cloudkms.googleapis.com";

    public KmsMode Mode { get; set; } = KmsMode.Local;

    /// <summary>
    /// https://host:port. Local: the kms admin listener (every kms method is served there only), e.g.
    /// <c>https://127.0.0.1:7411</c>. Google: empty means <see cref="GoogleEndpoint"/>.
    /// </summary>
    public string Address { get; set; } = "";

    /// <summary>Local mode: the identity the server's certificate must carry (short form).</summary>
    public string Identity { get; set; } = "kms";

    /// <summary>The key ring this service's KEKs live in: <c>projects/{p}/locations/{l}/keyRings/{r}</c>.</summary>
    [Required]
    public string KeyRing { get; set; } = "";

    /// <summary>Deadline of every call.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts for idempotent calls (Get, Encrypt, Decrypt) on UNAVAILABLE or a checksum mismatch; mutations are tried once.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>First retry delay; doubled for each further attempt.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    public string EffectiveAddress => Mode == KmsMode.Google && string.IsNullOrEmpty(Address) ? GoogleEndpoint : Address;
}
