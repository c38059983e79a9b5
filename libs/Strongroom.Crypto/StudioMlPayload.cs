using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Crypto;

/// <summary>Why a StudioML payload was refused before any private-key operation.</summary>
public enum StudioMlPayloadError
{
    None = 0,

    /// <summary>Not exactly one comma (two fields).</summary>
    CommaCount,

    /// <summary>A field is not canonical standard base64 with padding.</summary>
    NotBase64,

    /// <summary>K does not decode to 512 bytes (one RSA-4096 block).</summary>
    WrappedKeyLength,

    /// <summary>C is shorter than a 24-byte nonce plus the 16-byte Poly1305 tag.</summary>
    BoxTooShort,
}

/// <summary>The two decoded fields of a StudioML payload.</summary>
public sealed record StudioMlPayloadParts(byte[] WrappedKey, byte[] Box);

/// <summary>
/// The StudioML envelope payload, byte for byte (DESIGN 3.1): <c>P = B64(K) + "," + B64(C)</c> with
/// K = RSA-OAEP-SHA256 (MGF1-SHA-256, empty label) of a fresh 32-byte key under an RSA-4096 public
/// key and C = nonce(24) || crypto_secretbox_easy(plaintext) (XSalsa20-Poly1305).
/// <para>
/// No decryption oracle: <see cref="TryParse"/> may say exactly what is wrong, because it looks at
/// public structure only. From the RSA operation on nothing distinguishes failures:
/// <see cref="UnwrapKey"/> always returns 32 bytes (random ones when OAEP fails), and
/// <see cref="OpenBox"/> fails with one generic error whatever the cause — so a sender learns
/// nothing about the OAEP padding of a ciphertext it submits (Bleichenbacher/Manger).
/// </para>
/// </summary>
public static class StudioMlPayload
{
    /// <summary>
    /// SHA-256 of the payload string as sent: a StudioML request has no request id, so this digest is
    /// its identity for replay protection at the runner and keyservice (and in CompleteRequest). The
    /// one place it is computed.
    /// </summary>
    public static byte[] ReplayDigest(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return SHA256.HashData(Encoding.ASCII.GetBytes(payload));
    }

    /// <summary>A client-facing description of a shape error (it names no secret and no input bytes).</summary>
    public static string Describe(StudioMlPayloadError error) => error switch
    {
        StudioMlPayloadError.CommaCount => "must be two base64 fields separated by exactly one comma",
        StudioMlPayloadError.NotBase64 => "a field is not canonical standard base64 with padding",
        StudioMlPayloadError.WrappedKeyLength => "the wrapped key must decode to 512 bytes (one RSA-4096 block)",
        StudioMlPayloadError.BoxTooShort => "the box is shorter than a 24-byte nonce plus a 16-byte tag",
        _ => "malformed",
    };

    public const int KeySize = 32;
    public const int WrappedKeySize = RsaOaepSha256.CiphertextSize;
    public const int NonceSize = Sodium.SecretBoxNonceBytes;
    public const int TagSize = Sodium.SecretBoxMacBytes;
    public const int RsaKeySizeBits = RsaOaepSha256.KeySizeBits;

    /// <summary>Characters of padded base64 for one wrapped key (512 bytes → 684).</summary>
    public const int EncodedWrappedKeyLength = (WrappedKeySize + 2) / 3 * 4;

    /// <summary>Seals <paramref name="plaintext"/> to an RSA-4096 public key as a StudioML client does.</summary>
    public static string Seal(RSA rsaPublicKey, ReadOnlySpan<byte> plaintext)
    {
        byte[] key = GC.AllocateArray<byte>(KeySize, pinned: true);
        try
        {
            SecureRandom.Fill(key);
            byte[] wrapped = RsaOaepSha256.Encrypt(rsaPublicKey, key);
            byte[] box = SealBox(key, plaintext);
            return Convert.ToBase64String(wrapped) + "," + Convert.ToBase64String(box);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Checks and decodes the public structure; never touches a key.</summary>
    public static StudioMlPayloadError TryParse(string payload, out StudioMlPayloadParts? parts)
    {
        ArgumentNullException.ThrowIfNull(payload);
        parts = null;
        int comma = payload.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0 || payload.IndexOf(',', comma + 1) >= 0)
        {
            return StudioMlPayloadError.CommaCount;
        }

        // A K field longer than one RSA block's base64 cannot decode to it, canonical or not:
        // refused before anything is decoded, so a huge field costs no allocation.
        if (comma > EncodedWrappedKeyLength)
        {
            return StudioMlPayloadError.WrappedKeyLength;
        }

        if (!StrictBase64.TryDecode(payload.AsSpan(0, comma), out byte[]? wrapped) ||
            !StrictBase64.TryDecode(payload.AsSpan(comma + 1), out byte[]? box))
        {
            return StudioMlPayloadError.NotBase64;
        }

        if (wrapped.Length != WrappedKeySize)
        {
            return StudioMlPayloadError.WrappedKeyLength;
        }

        if (box.Length < NonceSize + TagSize)
        {
            return StudioMlPayloadError.BoxTooShort;
        }

        parts = new StudioMlPayloadParts(wrapped, box);
        return StudioMlPayloadError.None;
    }

    /// <summary>Like <see cref="TryParse"/>, throwing <see cref="CryptoErrorKind.Malformed"/> that names the problem.</summary>
    public static StudioMlPayloadParts Parse(string payload) =>
        TryParse(payload, out StudioMlPayloadParts? parts) switch
        {
            StudioMlPayloadError.None => parts!,
            StudioMlPayloadError.CommaCount => throw CryptoError.Malformed("StudioML payload: expected exactly one comma"),
            StudioMlPayloadError.NotBase64 => throw CryptoError.Malformed("StudioML payload: a field is not padded standard base64"),
            StudioMlPayloadError.WrappedKeyLength => throw CryptoError.Malformed("StudioML payload: the wrapped key is not 512 bytes"),
            _ => throw CryptoError.Malformed("StudioML payload: the box is too short"),
        };

    /// <summary>
    /// RSA-OAEP unwrap of the message key. Checks that precede the RSA operation (key size, K length)
    /// may throw; once the private-key operation starts this never throws and always returns 32
    /// bytes: the real key, or fresh random bytes when OAEP decoding fails or yields another length.
    /// The choice between the two is made without a data-dependent branch. The caller zeroes the result.
    /// </summary>
    /// <remarks>
    /// Residual timing: the BCL reports an OAEP failure as an exception, which costs more time than a
    /// success. OpenSSL's OAEP check itself is constant-time; the extra microseconds of the throw are
    /// far below the RSA-4096 operation's own variance, and callers must still answer every outcome
    /// the same way (same status, same message, same code path up to the secretbox check).
    /// </remarks>
    public static byte[] UnwrapKey(RSA rsaPrivateKey, ReadOnlySpan<byte> wrappedKey)
    {
        RsaOaepSha256.CheckProfile(rsaPrivateKey, []);
        if (wrappedKey.Length != WrappedKeySize)
        {
            throw CryptoError.Malformed("StudioML wrapped key (must be 512 bytes)");
        }

        return UnwrapKeyChecked(rsaPrivateKey, wrappedKey);
    }

    /// <summary>
    /// Unwraps K under every given key, always one RSA operation per key in order, and returns the
    /// 32-byte candidate from each (random for the keys that did not fit). keyservice tries every
    /// enabled version this way, so the work done does not reveal which version, if any, matched.
    /// </summary>
    public static byte[][] UnwrapKeyCandidates(IReadOnlyList<RSA> rsaPrivateKeys, ReadOnlySpan<byte> wrappedKey)
    {
        ArgumentNullException.ThrowIfNull(rsaPrivateKeys);

        // All checks first, so a bad key list fails before any private-key operation.
        foreach (RSA key in rsaPrivateKeys)
        {
            RsaOaepSha256.CheckProfile(key, []);
        }

        if (wrappedKey.Length != WrappedKeySize)
        {
            throw CryptoError.Malformed("StudioML wrapped key (must be 512 bytes)");
        }

        var candidates = new byte[rsaPrivateKeys.Count][];
        for (int i = 0; i < candidates.Length; i++)
        {
            candidates[i] = UnwrapKeyChecked(rsaPrivateKeys[i], wrappedKey);
        }

        return candidates;
    }

    /// <summary>Opens C with the 32-byte key; any failure is the same <see cref="CryptoErrorKind.AuthenticationFailed"/>.</summary>
    public static byte[] OpenBox(ReadOnlySpan<byte> key, ReadOnlySpan<byte> box) =>
        TryOpenBox(key, box, out byte[]? plaintext) ? plaintext : throw CryptoError.AuthenticationFailed();

    /// <summary>Opens C with the 32-byte key; false on any failure (short box included).</summary>
    public static unsafe bool TryOpenBox(ReadOnlySpan<byte> key, ReadOnlySpan<byte> box, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext)
    {
        plaintext = null;
        if (key.Length != KeySize)
        {
            throw CryptoError.InvalidLength("secretbox key", KeySize, key.Length);
        }

        if (box.Length < NonceSize + TagSize)
        {
            return false;
        }

        Sodium.EnsureInitialised();
        var output = new byte[box.Length - NonceSize - TagSize];
        int rc;
        fixed (byte* m = output)
        fixed (byte* c = box)
        fixed (byte* k = key)
        {
            rc = Sodium.crypto_secretbox_open_easy(m, c + NonceSize, (ulong)(box.Length - NonceSize), c, k);
        }

        if (rc != 0)
        {
            CryptographicOperations.ZeroMemory(output);
            return false;
        }

        plaintext = output;
        return true;
    }

    /// <summary>nonce(24) || crypto_secretbox_easy(plaintext) with a random nonce.</summary>
    public static unsafe byte[] SealBox(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext)
    {
        if (key.Length != KeySize)
        {
            throw CryptoError.InvalidLength("secretbox key", KeySize, key.Length);
        }

        Sodium.EnsureInitialised();
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        SecureRandom.Fill(output.AsSpan(0, NonceSize));
        int rc;
        fixed (byte* c = output)
        fixed (byte* m = plaintext)
        fixed (byte* k = key)
        {
            rc = Sodium.crypto_secretbox_easy(c + NonceSize, m, (ulong)plaintext.Length, c, k);
        }

        if (rc != 0)
        {
            throw CryptoError.InvalidArgument("crypto_secretbox_easy failed.");
        }

        return output;
    }

    /// <summary>Signs P as a StudioML client: Ed25519 over its ASCII bytes, base64 of the raw or SSH wire form.</summary>
    public static string SignPayload(Ed25519KeyPair key, string payload, bool sshWireForm = false)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(payload);
        byte[] signature = key.Sign(Encoding.ASCII.GetBytes(payload));
        return Convert.ToBase64String(sshWireForm ? OpenSsh.EncodeSignature(signature) : signature);
    }

    /// <summary>
    /// Verifies S over the ASCII bytes of P exactly as sent. S is base64 of the raw 64-byte signature
    /// or of its SSH wire form; anything else, or non-ASCII P, is simply not valid. Never throws.
    /// </summary>
    public static bool VerifyPayloadSignature(Ed25519PublicKey key, string payload, string signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (payload is null || signature is null || !Ascii.IsValid(payload))
        {
            return false;
        }

        return StrictBase64.TryDecode(signature, out byte[]? encoded) &&
               OpenSsh.TryParseSignature(encoded, out byte[]? raw) &&
               key.Verify(Encoding.ASCII.GetBytes(payload), raw);
    }

    private static byte[] UnwrapKeyChecked(RSA rsaPrivateKey, ReadOnlySpan<byte> wrappedKey)
    {
        // Drawn before the RSA operation so the amount of work after it does not depend on its outcome.
        byte[] fallback = GC.AllocateArray<byte>(KeySize, pinned: true);
        byte[] decrypted = GC.AllocateArray<byte>(WrappedKeySize, pinned: true);
        var result = new byte[KeySize];
        try
        {
            SecureRandom.Fill(fallback);
            bool ok = RsaOaepSha256.TryDecrypt(rsaPrivateKey, wrappedKey, [], decrypted, out int written);
            ConstantTime.Select(ok & written == KeySize, decrypted.AsSpan(0, KeySize), fallback, result);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(fallback);
            CryptographicOperations.ZeroMemory(decrypted);
        }
    }
}
