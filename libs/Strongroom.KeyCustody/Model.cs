namespace Strongroom.KeyCustody;

/// <summary>Lifecycle of one key version, as Cloud KMS names it.</summary>
public enum KeyVersionState
{
    Enabled,
    Disabled,

    /// <summary>Destruction is scheduled; restorable until <see cref="KeyVersion.DestroyAt"/>.</summary>
    DestroyScheduled,

    /// <summary>Material erased here and the wrapping kms version destroyed: crypto-shredded.</summary>
    Destroyed,
}

/// <summary>A named application key: one kms CryptoKey, many versions, one primary for new work.</summary>
public sealed record ManagedKey(
    string Name,
    string Kind,
    int PrimaryVersion,
    int MinimumVersion,
    /// <summary>Zero: rotate on demand only.</summary>
    TimeSpan RotationPeriod,
    TimeSpan DestroyGrace,
    long CreatedAt,
    /// <summary>Unix seconds of the next automatic rotation; 0 when automatic rotation is off.</summary>
    long NextRotationAt);

/// <summary>
/// One version's public half and state. The private half is never part of this record: it exists
/// only sealed (<see cref="WrappedKeyMaterial"/>) or unwrapped in a <see cref="IKeyMaterialKind"/> handle.
/// </summary>
public sealed record KeyVersion(
    string KeyName,
    int Version,
    KeyVersionState State,
    byte[] PublicKey,
    int KmsVersion,
    long CreatedAt,
    long? DestroyAt,
    long? DestroyedAt,
    bool Imported = false,
    bool Revoked = false);

/// <summary>
/// A private key at rest: key bytes sealed with AES-256-GCM under a fresh DEK
/// (<see cref="SealedKey"/>), and the DEK wrapped by the key's own kms CryptoKey version
/// (<see cref="WrappedDek"/>), both with AAD naming key and version.
/// </summary>
public sealed record WrappedKeyMaterial(byte[] SealedKey, byte[] WrappedDek);
