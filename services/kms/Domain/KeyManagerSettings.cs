using Strongroom.Pki;

namespace Strongroom.Kms.Domain;

/// <summary>The domain's view of the options (already validated).</summary>
public sealed record KeyManagerSettings
{
    /// <summary>Cloud KMS's bounds for destroy_scheduled_duration.</summary>
    public static readonly TimeSpan MinDestroyGrace = TimeSpan.FromHours(24);

    public static readonly TimeSpan MaxDestroyGrace = TimeSpan.FromDays(120);

    /// <summary>Development only: lets a key be created with a zero (or sub-24h) destroy grace.</summary>
    public bool AllowZeroDestroyGrace { get; init; }

    /// <summary>Grace for keys created without one (Cloud KMS's default, 30 days).</summary>
    public TimeSpan DefaultDestroyGrace { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Key ring name → the one service identity that owns it (overrides who created it).</summary>
    public IReadOnlyDictionary<string, WorkloadIdentity> KeyRingBindings { get; init; } = new Dictionary<string, WorkloadIdentity>();

    public int DefaultPageSize { get; init; } = 100;

    public int MaxPageSize { get; init; } = 1000;
}
