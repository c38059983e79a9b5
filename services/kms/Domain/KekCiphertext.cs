using System.Buffers.Binary;
using System.Text;
using Strongroom.Crypto;

namespace Strongroom.Kms.Domain;

/// <summary>
/// The opaque ciphertext Encrypt returns: AES-256-GCM under one KEK version.
/// <code>0x01 || u32 version (big-endian) || nonce (12) || ciphertext || tag (16)</code>
/// The version in the clear lets Decrypt, given only the CryptoKey name as in Cloud KMS, find the
/// version that encrypted. The GCM associated data binds the header and the crypto key's name as
/// well as the caller's AAD, each length-prefixed, so neither the version byte nor the key can be
/// swapped without failing authentication.
/// </summary>
internal static class KekCiphertext
{
    public const byte Format = 0x01;
    public const int HeaderSize = 1 + 4;
    public const int Overhead = HeaderSize + Aead.NonceSize + Aead.TagSize;

    private static ReadOnlySpan<byte> Label => "strongroom/kms/kek/v1\0"u8;

    public static byte[] Seal(ReadOnlySpan<byte> kek, string cryptoKeyName, int version, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var output = new byte[Overhead + plaintext.Length];
        output[0] = Format;
        BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(1), version);
        var nonce = output.AsSpan(HeaderSize, Aead.NonceSize);
        SecureRandom.Fill(nonce);
        var body = output.AsSpan(HeaderSize + Aead.NonceSize);
        Aead.Seal(AeadAlgorithm.Aes256Gcm, kek, nonce, plaintext, AssociatedData(output.AsSpan(0, HeaderSize), cryptoKeyName, aad), body);
        return output;
    }

    /// <summary>The version a ciphertext names, or false when it is not one of ours.</summary>
    public static bool TryReadVersion(ReadOnlySpan<byte> ciphertext, out int version)
    {
        version = 0;
        if (ciphertext.Length < Overhead || ciphertext[0] != Format)
        {
            return false;
        }

        version = BinaryPrimitives.ReadInt32BigEndian(ciphertext[1..]);
        return version >= 1;
    }

    /// <summary>Null when the ciphertext does not authenticate (wrong AAD, wrong key, any edited byte).</summary>
    public static byte[]? TryOpen(ReadOnlySpan<byte> kek, string cryptoKeyName, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> aad)
    {
        var plaintext = new byte[ciphertext.Length - Overhead];
        var ok = Aead.TryOpen(
            AeadAlgorithm.Aes256Gcm,
            kek,
            ciphertext.Slice(HeaderSize, Aead.NonceSize),
            ciphertext[(HeaderSize + Aead.NonceSize)..],
            AssociatedData(ciphertext[..HeaderSize], cryptoKeyName, aad),
            plaintext);
        return ok ? plaintext : null;
    }

    private static byte[] AssociatedData(ReadOnlySpan<byte> header, string cryptoKeyName, ReadOnlySpan<byte> aad)
    {
        var name = Encoding.UTF8.GetBytes(cryptoKeyName);
        var data = new byte[Label.Length + header.Length + 4 + name.Length + 4 + aad.Length];
        var span = data.AsSpan();
        Label.CopyTo(span);
        span = span[Label.Length..];
        header.CopyTo(span);
        span = span[header.Length..];
        BinaryPrimitives.WriteInt32BigEndian(span, name.Length);
        name.CopyTo(span[4..]);
        span = span[(4 + name.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, aad.Length);
        aad.CopyTo(span[4..]);
        return data;
    }
}
