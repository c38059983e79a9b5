using Nsec = NSec.Cryptography;

namespace Strongroom.Crypto;

/// <summary>An Ed25519 public key (RFC 8032), 32 bytes.</summary>
public sealed class Ed25519PublicKey : IEquatable<Ed25519PublicKey>
{
    public const int Size = 32;
    public const int SignatureSize = 64;

    private readonly Nsec.PublicKey _key;
    private readonly byte[] _bytes;

    private Ed25519PublicKey(Nsec.PublicKey key)
    {
        _key = key;
        _bytes = key.Export(Nsec.KeyBlobFormat.RawPublicKey);
    }

    /// <summary>Imports the raw 32 bytes; throws <see cref="CryptoErrorKind.Malformed"/> when they are not a key.</summary>
    public static Ed25519PublicKey Import(ReadOnlySpan<byte> raw) =>
        TryImport(raw, out Ed25519PublicKey? key) ? key : throw CryptoError.Malformed("Ed25519 public key");

    public static bool TryImport(ReadOnlySpan<byte> raw, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Ed25519PublicKey? key)
    {
        key = null;
        if (raw.Length != Size ||
            !Nsec.PublicKey.TryImport(Nsec.SignatureAlgorithm.Ed25519, raw, Nsec.KeyBlobFormat.RawPublicKey, out Nsec.PublicKey? imported) ||
            imported is null)
        {
            return false;
        }

        key = new Ed25519PublicKey(imported);
        return true;
    }

    internal static Ed25519PublicKey FromNsec(Nsec.PublicKey key) => new(key);

    /// <summary>The raw 32 bytes.</summary>
    public byte[] Export() => (byte[])_bytes.Clone();

    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>
    /// Verifies an Ed25519 signature. A signature of the wrong length, or any other malformed one,
    /// is simply not valid: this returns false and never throws.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize && Nsec.SignatureAlgorithm.Ed25519.Verify(_key, data, signature);

    public bool Equals(Ed25519PublicKey? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => Equals(obj as Ed25519PublicKey);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    public override string ToString() => "Ed25519PublicKey(" + Convert.ToHexStringLower(_bytes) + ")";
}

/// <summary>An Ed25519 signing key held by NSec in guarded memory.</summary>
public sealed class Ed25519KeyPair : IDisposable
{
    public const int SeedSize = 32;

    private readonly Nsec.Key _key;

    private Ed25519KeyPair(Nsec.Key key)
    {
        _key = key;
        PublicKey = Ed25519PublicKey.FromNsec(key.PublicKey);
    }

    public Ed25519PublicKey PublicKey { get; }

    public bool IsExportable => (_key.ExportPolicy & Nsec.KeyExportPolicies.AllowPlaintextExport) != 0;

    public static Ed25519KeyPair Generate(bool exportable = false) =>
        new(Nsec.Key.Create(Nsec.SignatureAlgorithm.Ed25519, Parameters(exportable)));

    /// <summary>Imports the 32-byte seed (RFC 8032's private key; JWK <c>d</c>).</summary>
    public static Ed25519KeyPair ImportSeed(ReadOnlySpan<byte> seed, bool exportable = false)
    {
        if (seed.Length != SeedSize)
        {
            throw CryptoError.InvalidLength("Ed25519 seed", SeedSize, seed.Length);
        }

        return new Ed25519KeyPair(Nsec.Key.Import(Nsec.SignatureAlgorithm.Ed25519, seed, Nsec.KeyBlobFormat.RawPrivateKey, Parameters(exportable)));
    }

    /// <summary>The 32-byte seed; the caller zeroes it. Refused unless the pair was made exportable.</summary>
    public byte[] ExportSeed()
    {
        if (!IsExportable)
        {
            throw CryptoError.ExportNotAllowed();
        }

        return _key.Export(Nsec.KeyBlobFormat.RawPrivateKey);
    }

    public byte[] Sign(ReadOnlySpan<byte> data) => Nsec.SignatureAlgorithm.Ed25519.Sign(_key, data);

    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        if (signature.Length != Ed25519PublicKey.SignatureSize)
        {
            throw CryptoError.InvalidLength("signature buffer", Ed25519PublicKey.SignatureSize, signature.Length);
        }

        Nsec.SignatureAlgorithm.Ed25519.Sign(_key, data, signature);
    }

    public void Dispose() => _key.Dispose();

    private static Nsec.KeyCreationParameters Parameters(bool exportable) => new()
    {
        ExportPolicy = exportable ? Nsec.KeyExportPolicies.AllowPlaintextExport : Nsec.KeyExportPolicies.None,
    };
}
