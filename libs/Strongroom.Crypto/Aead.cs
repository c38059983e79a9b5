using System.Security.Cryptography;
using Bcl = System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>The two AEADs in Strongroom's profile.</summary>
public enum AeadAlgorithm
{
    /// <summary>AES-256-GCM (data-key envelopes at rest).</summary>
    Aes256Gcm = 1,

    /// <summary>ChaCha20-Poly1305 as in RFC 8439 (the HPKE suite's AEAD).</summary>
    ChaCha20Poly1305 = 2,
}

/// <summary>
/// AES-256-GCM and ChaCha20-Poly1305 in Strongroom's profile only: 32-byte key, 12-byte nonce,
/// 16-byte tag. Any other size is refused as <see cref="CryptoErrorKind.Unsupported"/> rather than
/// quietly supported (shorter tags and other nonce sizes weaken both algorithms). Every
/// authentication failure, including a ciphertext too short to hold a tag, is
/// <see cref="CryptoErrorKind.AuthenticationFailed"/>, and no plaintext is released.
/// </summary>
public static class Aead
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>Returns ciphertext || tag.</summary>
    public static byte[] Seal(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[plaintext.Length + TagSize];
        Seal(algorithm, key, nonce, plaintext, associatedData, output);
        return output;
    }

    /// <summary>Writes ciphertext || tag into <paramref name="ciphertextAndTag"/>, which must be exactly plaintext + 16 bytes.</summary>
    public static void Seal(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag)
    {
        if (ciphertextAndTag.Length != plaintext.Length + TagSize)
        {
            throw CryptoError.InvalidLength("ciphertext buffer", plaintext.Length + TagSize, ciphertextAndTag.Length);
        }

        Seal(algorithm, key, nonce, plaintext, associatedData, ciphertextAndTag[..plaintext.Length], ciphertextAndTag[plaintext.Length..]);
    }

    /// <summary>Seals with the tag written separately.</summary>
    public static void Seal(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext, Span<byte> tag)
    {
        CheckProfile(algorithm, key, nonce, tag.Length);
        if (ciphertext.Length != plaintext.Length)
        {
            throw CryptoError.InvalidLength("ciphertext buffer", plaintext.Length, ciphertext.Length);
        }

        switch (algorithm)
        {
            case AeadAlgorithm.Aes256Gcm:
                using (var aes = new AesGcm(key, TagSize))
                {
                    aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
                }

                break;
            default:
                using (var chacha = new Bcl.ChaCha20Poly1305(key))
                {
                    chacha.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
                }

                break;
        }
    }

    /// <summary>Opens ciphertext || tag; throws <see cref="CryptoErrorKind.AuthenticationFailed"/> on any mismatch.</summary>
    public static byte[] Open(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData)
    {
        CheckProfile(algorithm, key, nonce, TagSize);
        if (ciphertextAndTag.Length < TagSize)
        {
            throw CryptoError.AuthenticationFailed();
        }

        int length = ciphertextAndTag.Length - TagSize;
        var plaintext = new byte[length];
        Open(algorithm, key, nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], associatedData, plaintext);
        return plaintext;
    }

    /// <summary>Opens ciphertext || tag into <paramref name="plaintext"/> (exactly ciphertext − 16 bytes); false on any mismatch.</summary>
    public static bool TryOpen(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        CheckProfile(algorithm, key, nonce, TagSize);
        if (ciphertextAndTag.Length < TagSize)
        {
            return false;
        }

        int length = ciphertextAndTag.Length - TagSize;
        if (plaintext.Length != length)
        {
            throw CryptoError.InvalidLength("plaintext buffer", length, plaintext.Length);
        }

        return TryOpenCore(algorithm, key, nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], associatedData, plaintext);
    }

    /// <summary>Opens a ciphertext whose tag travels separately; the tag must be 16 bytes.</summary>
    public static byte[] Open(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        var plaintext = new byte[ciphertext.Length];
        Open(algorithm, key, nonce, ciphertext, tag, associatedData, plaintext);
        return plaintext;
    }

    /// <summary>Opens a ciphertext whose tag travels separately into <paramref name="plaintext"/>.</summary>
    public static void Open(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        CheckProfile(algorithm, key, nonce, tag.Length);
        if (plaintext.Length != ciphertext.Length)
        {
            throw CryptoError.InvalidLength("plaintext buffer", ciphertext.Length, plaintext.Length);
        }

        if (!TryOpenCore(algorithm, key, nonce, ciphertext, tag, associatedData, plaintext))
        {
            throw CryptoError.AuthenticationFailed();
        }
    }

    internal static void CheckProfile(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, int tagLength)
    {
        if (algorithm is not (AeadAlgorithm.Aes256Gcm or AeadAlgorithm.ChaCha20Poly1305))
        {
            throw CryptoError.Unsupported("AEAD algorithm");
        }

        if (key.Length != KeySize)
        {
            throw CryptoError.UnsupportedLength("AEAD key", KeySize, key.Length);
        }

        if (nonce.Length != NonceSize)
        {
            throw CryptoError.UnsupportedLength("AEAD nonce", NonceSize, nonce.Length);
        }

        if (tagLength != TagSize)
        {
            throw CryptoError.UnsupportedLength("AEAD tag", TagSize, tagLength);
        }

        bool available = algorithm == AeadAlgorithm.Aes256Gcm ? AesGcm.IsSupported : Bcl.ChaCha20Poly1305.IsSupported;
        if (!available)
        {
            throw CryptoError.Unsupported("this AEAD on this platform");
        }
    }

    private static bool TryOpenCore(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        try
        {
            if (algorithm == AeadAlgorithm.Aes256Gcm)
            {
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            }
            else
            {
                using var chacha = new Bcl.ChaCha20Poly1305(key);
                chacha.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            }

            return true;
        }
        catch (CryptographicException)
        {
            // Never hand out unauthenticated plaintext, even partially.
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }
}
