using System.Security.Cryptography;
using Strongroom.Crypto;

namespace Strongroom.KeyCustody.Kinds;

/// <summary>RSA-4096 decryption keys (StudioML): PKCS#8 private bytes, SPKI public bytes.</summary>
public sealed class Rsa4096Kind : IKeyMaterialKind
{
    public const string KindName = "rsa-4096";

    public string Name => KindName;

    public (byte[] PrivateKey, byte[] PublicKey) Generate()
    {
        using var rsa = RSA.Create(4096);
        return (rsa.ExportPkcs8PrivateKey(), rsa.ExportSubjectPublicKeyInfo());
    }

    public IDisposable Load(ReadOnlySpan<byte> privateKey)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(privateKey, out var read);
            if (read != privateKey.Length || rsa.KeySize != 4096)
            {
                throw new CryptographicException("not an RSA-4096 PKCS#8 key");
            }

            return rsa;
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    public byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        using var rsa = (RSA)Load(privateKey);
        return rsa.ExportSubjectPublicKeyInfo();
    }
}

/// <summary>X25519 decryption keys (HPKE): 32-byte private and public keys.</summary>
public sealed class X25519Kind : IKeyMaterialKind
{
    public const string KindName = "x25519";

    public string Name => KindName;

    public (byte[] PrivateKey, byte[] PublicKey) Generate()
    {
        var privateKey = SecureRandom.GetBytes(X25519KeyPair.PrivateKeySize);
        return (privateKey, PublicKeyOf(privateKey));
    }

    public IDisposable Load(ReadOnlySpan<byte> privateKey) => X25519KeyPair.Import(privateKey);

    public byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        using var pair = X25519KeyPair.Import(privateKey);
        return pair.PublicKey.Export();
    }
}

/// <summary>Ed25519 signing keys (signer): the 32-byte seed is the private key.</summary>
public sealed class Ed25519Kind : IKeyMaterialKind
{
    public const string KindName = "ed25519";

    public string Name => KindName;

    public (byte[] PrivateKey, byte[] PublicKey) Generate()
    {
        var seed = SecureRandom.GetBytes(Ed25519KeyPair.SeedSize);
        return (seed, PublicKeyOf(seed));
    }

    public IDisposable Load(ReadOnlySpan<byte> privateKey) => Ed25519KeyPair.ImportSeed(privateKey);

    public byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        using var pair = Ed25519KeyPair.ImportSeed(privateKey);
        return pair.PublicKey.Export();
    }
}
