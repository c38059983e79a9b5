using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;

namespace Strongroom.Operator;

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
        if (!IsAsciiDekInfo(pem))
        {
            // BouncyCastle's hex decoder indexes its table with any character; refuse before it sees one.
            throw new CryptographicException("cannot decrypt the PEM: wrong passphrase or not a PEM private key");
        }

        try
        {
            using var reader = new StringReader(pem);
            parsed = new PemReader(reader, new Password(passphrase)).ReadObject();
        }
        catch (Exception ex) when (ex is PemException or CryptoException or IOException or ArgumentException or InvalidOperationException or FormatException)
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

    /// <summary>Every DEK-Info header's value is printable ASCII (algorithm name, comma, hex IV).</summary>
    private static bool IsAsciiDekInfo(string pem)
    {
        foreach (var line in pem.Split('\n'))
        {
            if (line.StartsWith("DEK-Info:", StringComparison.OrdinalIgnoreCase) && !line.TrimEnd('\r').All(c => c is >= ' ' and <= '~'))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Password(char[] value) : IPasswordFinder
    {
        public char[] GetPassword() => (char[])value.Clone();
    }
}
