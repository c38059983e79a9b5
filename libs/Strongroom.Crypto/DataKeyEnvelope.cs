using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// Envelope encryption for application private keys at rest (DESIGN 1): the key bytes are sealed
/// with AES-256-GCM under a fresh 32-byte data-encryption key (DEK), and the DEK is then wrapped by
/// the kms (not here). Blob format, version 1:
/// <c>0x01 || nonce(12) || ciphertext || tag(16)</c>, AAD = the caller's AAD (it names key and version).
/// A fresh DEK per seal means the random 96-bit nonce is used once per key, far from GCM's limits.
/// Opening fails closed with <see cref="CryptoErrorKind.AuthenticationFailed"/> for every kind of
/// damage: wrong DEK, wrong AAD, altered or truncated blob, unknown version byte.
/// </summary>
public static class DataKeyEnvelope
{
    public const byte Version1 = 0x01;
    public const int DataKeySize = Aead.KeySize;
    public const int NonceSize = Aead.NonceSize;
    public const int TagSize = Aead.TagSize;

    /// <summary>Bytes a blob adds to the plaintext: version, nonce and tag.</summary>
    public const int Overhead = 1 + NonceSize + TagSize;

    /// <summary>Generates a DEK and seals <paramref name="plaintext"/> under it. Dispose the result to zero the DEK.</summary>
    public static DataKeyEnvelopeSealed Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        byte[] dataKey = GC.AllocateArray<byte>(DataKeySize, pinned: true);
        try
        {
            SecureRandom.Fill(dataKey);
            byte[] blob = Seal(dataKey, plaintext, associatedData);
            return new DataKeyEnvelopeSealed(dataKey, blob);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(dataKey);
            throw;
        }
    }

    /// <summary>Seals under a DEK the caller already holds (re-sealing); a fresh random nonce every time.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        CheckDataKey(dataKey);
        var blob = new byte[Overhead + plaintext.Length];
        blob[0] = Version1;
        Span<byte> nonce = blob.AsSpan(1, NonceSize);
        SecureRandom.Fill(nonce);
        Aead.Seal(AeadAlgorithm.Aes256Gcm, dataKey, nonce, plaintext, associatedData, blob.AsSpan(1 + NonceSize));
        return blob;
    }

    /// <summary>Opens a blob; the caller zeroes the returned plaintext when done.</summary>
    public static byte[] Open(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> blob, ReadOnlySpan<byte> associatedData)
    {
        CheckDataKey(dataKey);
        if (blob.Length < Overhead || blob[0] != Version1)
        {
            throw CryptoError.AuthenticationFailed();
        }

        var plaintext = new byte[blob.Length - Overhead];
        if (!Aead.TryOpen(AeadAlgorithm.Aes256Gcm, dataKey, blob.Slice(1, NonceSize), blob[(1 + NonceSize)..], associatedData, plaintext))
        {
            throw CryptoError.AuthenticationFailed();
        }

        return plaintext;
    }

    private static void CheckDataKey(ReadOnlySpan<byte> dataKey)
    {
        if (dataKey.Length != DataKeySize)
        {
            throw CryptoError.InvalidLength("data-encryption key", DataKeySize, dataKey.Length);
        }
    }
}

/// <summary>A sealed blob and the DEK that opens it. Wrap the DEK with the kms, store both, then dispose.</summary>
public sealed class DataKeyEnvelopeSealed : IDisposable
{
    private readonly byte[] _dataKey;
    private bool _disposed;

    internal DataKeyEnvelopeSealed(byte[] dataKey, byte[] blob)
    {
        _dataKey = dataKey;
        Blob = blob;
    }

    /// <summary>The versioned blob to store.</summary>
    public byte[] Blob { get; }

    /// <summary>The 32-byte DEK; unavailable after <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> DataKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _dataKey;
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_dataKey);
        }
    }
}
