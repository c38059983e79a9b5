using Strongroom.Crypto;
using Strongroom.KeyLog;

namespace Strongroom.Requests;

/// <summary>
/// A client's Ed25519 signing key as the key log records it: owner, current state and the X25519
/// sealing kid its registration names (results of StudioML requests are sealed to it).
/// </summary>
public sealed record ClientSigningKey(string Kid, string Owner, KeyState State, Ed25519PublicKey PublicKey)
{
    /// <summary>The sealing kid of the client registration that published this signing key; null if none names it.</summary>
    public string? SealingKid { get; init; }
}

/// <summary>A client's registered X25519 result-sealing key: owner and current state.</summary>
public sealed record ClientSealingKey(string Kid, string Owner, KeyState State, X25519PublicKey PublicKey);

/// <summary>Where keyservice finds client signing keys: storage's key log.</summary>
public interface IClientKeyDirectory
{
    /// <summary>The key named by exactly one of <paramref name="kid"/> or <paramref name="opensshFingerprint"/>; null when the log has none.</summary>
    Task<ClientSigningKey?> FindAsync(string? kid, string? opensshFingerprint, CancellationToken cancellationToken);

    /// <summary>The client sealing key <paramref name="kid"/>; null when the log has none.</summary>
    Task<ClientSealingKey?> FindSealingKeyAsync(string kid, CancellationToken cancellationToken);
}
