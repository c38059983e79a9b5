using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// HKDF with SHA-256 (RFC 5869) through the BCL. Output lengths are limited to 1..255·32 bytes as
/// the RFC requires; the PRK given to Expand must be at least one hash long.
/// </summary>
public static class HkdfSha256
{
    public const int HashLength = 32;
    public const int MaxOutputLength = 255 * HashLength;

    public static byte[] Extract(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt)
    {
        var prk = new byte[HashLength];
        Extract(inputKeyMaterial, salt, prk);
        return prk;
    }

    public static void Extract(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, Span<byte> pseudoRandomKey)
    {
        if (pseudoRandomKey.Length != HashLength)
        {
            throw CryptoError.InvalidLength("pseudorandom key buffer", HashLength, pseudoRandomKey.Length);
        }

        HKDF.Extract(HashAlgorithmName.SHA256, inputKeyMaterial, salt, pseudoRandomKey);
    }

    public static byte[] Expand(ReadOnlySpan<byte> pseudoRandomKey, int outputLength, ReadOnlySpan<byte> info)
    {
        CheckOutputLength(outputLength);
        var output = new byte[outputLength];
        Expand(pseudoRandomKey, output, info);
        return output;
    }

    public static void Expand(ReadOnlySpan<byte> pseudoRandomKey, Span<byte> output, ReadOnlySpan<byte> info)
    {
        CheckOutputLength(output.Length);
        if (pseudoRandomKey.Length < HashLength)
        {
            throw CryptoError.InvalidLength("pseudorandom key", HashLength, pseudoRandomKey.Length);
        }

        HKDF.Expand(HashAlgorithmName.SHA256, pseudoRandomKey, output, info);
    }

    /// <summary>Extract then Expand.</summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> inputKeyMaterial, int outputLength, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info)
    {
        CheckOutputLength(outputLength);
        var output = new byte[outputLength];
        DeriveKey(inputKeyMaterial, output, salt, info);
        return output;
    }

    public static void DeriveKey(ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info)
    {
        CheckOutputLength(output.Length);
        Span<byte> prk = stackalloc byte[HashLength];
        try
        {
            HKDF.Extract(HashAlgorithmName.SHA256, inputKeyMaterial, salt, prk);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, output, info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
        }
    }

    private static void CheckOutputLength(int length)
    {
        if (length is < 1 or > MaxOutputLength)
        {
            throw CryptoError.OutputTooLong("HKDF output", MaxOutputLength, length);
        }
    }
}
