using System.Security.Cryptography;
using Nsec = NSec.Cryptography;

namespace Strongroom.Crypto;

/// <summary>An X25519 public key: 32 bytes as RFC 7748 encodes it.</summary>
public sealed class X25519PublicKey : IEquatable<X25519PublicKey>
{
    public const int Size = 32;

    private readonly byte[] _bytes;
    private Nsec.PublicKey? _nsec;

    private X25519PublicKey(byte[] bytes, Nsec.PublicKey? nsec)
    {
        _bytes = bytes;
        _nsec = nsec;
    }

    /// <summary>Imports the raw 32-byte form. Low-order points are caught at agreement, where they give a zero secret.</summary>
    public static X25519PublicKey Import(ReadOnlySpan<byte> raw)
    {
        if (raw.Length != Size)
        {
            throw CryptoError.InvalidLength("X25519 public key", Size, raw.Length);
        }

        return new X25519PublicKey(raw.ToArray(), null);
    }

    internal static X25519PublicKey FromNsec(Nsec.PublicKey key) =>
        new(key.Export(Nsec.KeyBlobFormat.RawPublicKey), key);

    /// <summary>The raw 32 bytes.</summary>
    public byte[] Export() => (byte[])_bytes.Clone();

    internal ReadOnlySpan<byte> Bytes => _bytes;

    internal Nsec.PublicKey ToNsec()
    {
        if (_nsec is null)
        {
            if (!Nsec.PublicKey.TryImport(Nsec.KeyAgreementAlgorithm.X25519, _bytes, Nsec.KeyBlobFormat.RawPublicKey, out Nsec.PublicKey? imported))
            {
                throw CryptoError.InvalidPublicKey("X25519 public key not accepted");
            }

            _nsec = imported;
        }

        return _nsec!;
    }

    public bool Equals(X25519PublicKey? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => Equals(obj as X25519PublicKey);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    public override string ToString() => "X25519PublicKey(" + Convert.ToHexStringLower(_bytes) + ")";
}

/// <summary>
/// A long-lived X25519 key pair held by NSec in guarded memory. The private half is exportable
/// only when asked for at creation (keyservice needs that to seal it at rest).
/// </summary>
public sealed class X25519KeyPair : IDisposable
{
    public const int PrivateKeySize = 32;

    private readonly Nsec.Key _key;

    private X25519KeyPair(Nsec.Key key)
    {
        _key = key;
        PublicKey = X25519PublicKey.FromNsec(key.PublicKey);
    }

    public X25519PublicKey PublicKey { get; }

    public bool IsExportable => (_key.ExportPolicy & Nsec.KeyExportPolicies.AllowPlaintextExport) != 0;

    public static X25519KeyPair Generate(bool exportable = false) =>
        new(Nsec.Key.Create(Nsec.KeyAgreementAlgorithm.X25519, Parameters(exportable)));

    /// <summary>Imports a 32-byte private scalar (as stored, unclamped; X25519 clamps when it multiplies).</summary>
    public static X25519KeyPair Import(ReadOnlySpan<byte> privateKey, bool exportable = false)
    {
        if (privateKey.Length != PrivateKeySize)
        {
            throw CryptoError.InvalidLength("X25519 private key", PrivateKeySize, privateKey.Length);
        }

        return new X25519KeyPair(Nsec.Key.Import(Nsec.KeyAgreementAlgorithm.X25519, privateKey, Nsec.KeyBlobFormat.RawPrivateKey, Parameters(exportable)));
    }

    /// <summary>The raw private key; the caller zeroes it. Refused unless the pair was made exportable.</summary>
    public byte[] ExportPrivateKey()
    {
        if (!IsExportable)
        {
            throw CryptoError.ExportNotAllowed();
        }

        return _key.Export(Nsec.KeyBlobFormat.RawPrivateKey);
    }

    /// <summary>The raw shared secret (caller zeroes it). An all-zero result is refused.</summary>
    public byte[] Agree(X25519PublicKey peer)
    {
        var secret = new byte[X25519Ephemeral.SharedSecretSize];
        Agree(peer, secret);
        return secret;
    }

    /// <summary>Writes the raw shared secret into <paramref name="sharedSecret"/>; an all-zero result is refused.</summary>
    public void Agree(X25519PublicKey peer, Span<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (sharedSecret.Length != X25519Ephemeral.SharedSecretSize)
        {
            throw CryptoError.InvalidLength("shared secret buffer", X25519Ephemeral.SharedSecretSize, sharedSecret.Length);
        }

        Nsec.SharedSecret? secret;
        try
        {
            secret = Nsec.KeyAgreementAlgorithm.X25519.Agree(
                _key,
                peer.ToNsec(),
                new Nsec.SharedSecretCreationParameters { ExportPolicy = Nsec.KeyExportPolicies.AllowPlaintextExport });
        }
        catch (CryptographicException)
        {
            // NSec (libsodium) fails the agreement exactly when the result is the all-zero point.
            throw CryptoError.ZeroSharedSecret();
        }

        using (secret)
        {
            if (secret is null || !secret.TryExport(Nsec.SharedSecretBlobFormat.RawSharedSecret, sharedSecret, out int written) || written != sharedSecret.Length)
            {
                CryptographicOperations.ZeroMemory(sharedSecret);
                throw CryptoError.ZeroSharedSecret();
            }
        }

        if (ConstantTime.IsAllZero(sharedSecret))
        {
            throw CryptoError.ZeroSharedSecret();
        }
    }

    public void Dispose() => _key.Dispose();

    private static Nsec.KeyCreationParameters Parameters(bool exportable) => new()
    {
        ExportPolicy = exportable ? Nsec.KeyExportPolicies.AllowPlaintextExport : Nsec.KeyExportPolicies.None,
    };
}

/// <summary>
/// X25519 on raw byte spans through libsodium directly, for per-message ephemeral keys on the hot
/// path (MACHINE-NOTES: NSec's guarded allocations make these about 3x slower). Callers zero the
/// private and shared bytes they pass in and get back.
/// </summary>
public static class X25519Ephemeral
{
    public const int PrivateKeySize = 32;
    public const int PublicKeySize = 32;
    public const int SharedSecretSize = 32;

    /// <summary>X25519(k, u); throws <see cref="CryptoErrorKind.InvalidPublicKey"/> when the result is all zero.</summary>
    public static unsafe void Agree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        CheckLength("X25519 private key", PrivateKeySize, privateKey.Length);
        CheckLength("X25519 public key", PublicKeySize, publicKey.Length);
        CheckLength("shared secret buffer", SharedSecretSize, sharedSecret.Length);
        Sodium.EnsureInitialised();
        int rc;
        fixed (byte* q = sharedSecret)
        fixed (byte* n = privateKey)
        fixed (byte* p = publicKey)
        {
            rc = Sodium.crypto_scalarmult(q, n, p);
        }

        // libsodium returns -1 for the all-zero output; check again so the rule never rests on one place.
        if (rc != 0 | ConstantTime.IsAllZero(sharedSecret))
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            throw CryptoError.ZeroSharedSecret();
        }
    }

    /// <summary>X25519(k, 9).</summary>
    public static unsafe void DerivePublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        CheckLength("X25519 private key", PrivateKeySize, privateKey.Length);
        CheckLength("X25519 public key buffer", PublicKeySize, publicKey.Length);
        Sodium.EnsureInitialised();
        int rc;
        fixed (byte* q = publicKey)
        fixed (byte* n = privateKey)
        {
            rc = Sodium.crypto_scalarmult_base(q, n);
        }

        if (rc != 0)
        {
            throw CryptoError.InvalidArgument("The X25519 private key is unusable.");
        }
    }

    private static void CheckLength(string name, int expected, int actual)
    {
        if (actual != expected)
        {
            throw CryptoError.InvalidLength(name, expected, actual);
        }
    }
}
