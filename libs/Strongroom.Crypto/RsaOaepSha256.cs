using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// RSA-OAEP with SHA-256 and MGF1-SHA-256, empty label, RSA-4096 — the StudioML key wrap. Internal
/// on purpose: a decrypt that reports failure is a padding oracle, so the only public way to use
/// the private key is <see cref="StudioMlPayload.UnwrapKey"/>, which never reports one.
/// </summary>
internal static class RsaOaepSha256
{
    internal const int KeySizeBits = 4096;
    internal const int CiphertextSize = KeySizeBits / 8;

    internal static byte[] Encrypt(RSA publicKey, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> label = default)
    {
        CheckProfile(publicKey, label);
        return publicKey.Encrypt(plaintext, RSAEncryptionPadding.OaepSHA256);
    }

    /// <summary>
    /// Decrypts, returning false on any failure. Callers outside the oracle-free wrapper must not
    /// exist; the Wycheproof tests use it to check the primitive itself.
    /// </summary>
    internal static bool TryDecrypt(RSA privateKey, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> label, Span<byte> plaintext, out int written)
    {
        CheckProfile(privateKey, label);
        written = 0;
        try
        {
            return privateKey.TryDecrypt(ciphertext, plaintext, RSAEncryptionPadding.OaepSHA256, out written);
        }
        catch (CryptographicException)
        {
            written = 0;
            return false;
        }
    }

    internal static void CheckProfile(RSA key, ReadOnlySpan<byte> label)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != KeySizeBits)
        {
            throw CryptoError.Unsupported("RSA key size other than 4096 bits");
        }

        // The BCL has no OAEP label parameter and StudioML uses none; a label is outside the profile.
        if (!label.IsEmpty)
        {
            throw CryptoError.Unsupported("RSA-OAEP with a non-empty label");
        }
    }
}
