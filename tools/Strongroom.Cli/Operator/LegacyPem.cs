using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;

namespace Strongroom.Cli.Operator;

/// <summary>
/// Reads the StudioML runner key as the seed's <c>ssh-keygen -m PEM</c> writes it: PKCS#1 with
/// legacy OpenSSL encryption (<c>Proc-Type: 4,ENCRYPTED</c>), which .NET cannot import. Runs only
/// on the operator's machine, so the passphrase never leaves it.
/// </summary>
public static class LegacyPem
{
    /// <summary>Decrypts the PEM and returns the RSA private key as PKCS#8 DER (caller zeroes it).</summary>
    public static byte[] ReadRsaPrivateKeyPkcs8(string pem, char[] passphrase)
    {
        object? parsed;
        try
        {
            using var reader = new StringReader(pem);
            parsed = new PemReader(reader, new Password(passphrase)).ReadObject();
        }
        catch (Exception ex) when (ex is PemException or InvalidCipherTextException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new CryptographicException("cannot decrypt the PEM: wrong passphrase or not a PEM private key");
        }

        var privateKey = parsed switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } key => key,
            _ => throw new CryptographicException("the PEM holds no private key"),
        };
        if (privateKey is not RsaPrivateCrtKeyParameters rsa || rsa.Modulus.BitLength != 4096)
        {
            throw new CryptographicException("the PEM key is not an RSA-4096 private key");
        }

        return PrivateKeyInfoFactory.CreatePrivateKeyInfo(rsa).GetDerEncoded();
    }

    private sealed class Password(char[] value) : IPasswordFinder
    {
        public char[] GetPassword() => (char[])value.Clone();
    }
}
