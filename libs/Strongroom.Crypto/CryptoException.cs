namespace Strongroom.Crypto;

/// <summary>What went wrong, in the few categories callers map to statuses.</summary>
public enum CryptoErrorKind
{
    /// <summary>The input is outside Strongroom's profile (key, nonce or tag size, algorithm, label).</summary>
    Unsupported = 1,

    /// <summary>The caller passed an argument the operation cannot take (length, range, buffer size).</summary>
    InvalidArgument,

    /// <summary>An encoding does not parse (base64, JSON, key or message formats).</summary>
    Malformed,

    /// <summary>Authenticated decryption failed. Deliberately says nothing about why.</summary>
    AuthenticationFailed,

    /// <summary>A peer public key is unusable (for X25519: it yields the all-zero shared secret).</summary>
    InvalidPublicKey,

    /// <summary>The key's policy forbids the operation (plaintext export of a non-exportable key).</summary>
    NotPermitted,

    /// <summary>A usage limit was reached (HPKE sequence number, HKDF output length).</summary>
    LimitExceeded,
}

/// <summary>
/// The one exception type Strongroom.Crypto throws for cryptographic failures. Instances come only
/// from <see cref="CryptoError"/>, whose messages are fixed text plus lengths or names — never key,
/// plaintext or shared-secret bytes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1032:Implement standard exception constructors",
    Justification = "Every CryptoException carries a Kind and is created by the CryptoError factory only.")]
public sealed class CryptoException : Exception
{
    internal CryptoException(CryptoErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>The category of the failure.</summary>
    public CryptoErrorKind Kind { get; }
}
