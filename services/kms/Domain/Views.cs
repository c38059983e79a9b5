namespace Strongroom.Kms.Domain;

/// <summary>What the domain reports about a key ring.</summary>
public sealed record KeyRingView(string Name, DateTimeOffset CreateTime);

/// <summary>What the domain reports about a version (never its material).</summary>
public sealed record KeyVersionView(
    string Name,
    int Number,
    KeyVersionState State,
    DateTimeOffset CreateTime,
    DateTimeOffset? DestroyTime,
    DateTimeOffset? DestroyEventTime);

/// <summary>What the domain reports about a crypto key.</summary>
public sealed record CryptoKeyView(
    string Name,
    DateTimeOffset CreateTime,
    TimeSpan DestroyGrace,
    KeyVersionView? Primary,
    IReadOnlyDictionary<string, string> Labels,
    string BoundIdentity);

/// <summary>One page of a listing; <see cref="NextPageToken"/> is empty on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string NextPageToken, int TotalSize);

/// <summary>How a new crypto key is made; null grace means the configured default.</summary>
public sealed record CryptoKeySpec(TimeSpan? DestroyGrace, IReadOnlyDictionary<string, string> Labels, bool SkipInitialVersion);

/// <summary>Encrypt's result: the version used, the ciphertext, and which request checksums were verified.</summary>
public sealed record EncryptOutcome(string VersionName, byte[] Ciphertext, bool VerifiedPlaintextCrc32C, bool VerifiedAadCrc32C);

/// <summary>Decrypt's result.</summary>
public sealed record DecryptOutcome(byte[] Plaintext, bool UsedPrimary);
