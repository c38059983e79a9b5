using System.Buffers.Binary;

namespace Strongroom.Crypto;

/// <summary>
/// The client signature over a native Strongroom request (DESIGN 3.2):
/// <c>Ed25519("strongroom/request/v1\0" || u32(len(header)) || header || u32(len(enc)) || enc || u32(len(ct)) || ct)</c>,
/// u32 big-endian. Every field is length-prefixed so no two envelopes share signed bytes, and the
/// context string keeps these signatures from being valid anywhere else.
/// </summary>
public static class StrongroomEnvelope
{
    /// <summary>The domain-separation prefix, NUL included.</summary>
    public static ReadOnlySpan<byte> SignatureContext => "strongroom/request/v1\0"u8;

    /// <summary>The exact bytes the client signs.</summary>
    public static byte[] SignedBytes(ReadOnlySpan<byte> header, ReadOnlySpan<byte> encapsulatedKey, ReadOnlySpan<byte> ciphertext)
    {
        var output = new byte[SignatureContext.Length + 12 + header.Length + encapsulatedKey.Length + ciphertext.Length];
        Span<byte> rest = output;
        SignatureContext.CopyTo(rest);
        rest = rest[SignatureContext.Length..];
        rest = WriteField(rest, header);
        rest = WriteField(rest, encapsulatedKey);
        _ = WriteField(rest, ciphertext);
        return output;
    }

    public static byte[] Sign(Ed25519KeyPair key, ReadOnlySpan<byte> header, ReadOnlySpan<byte> encapsulatedKey, ReadOnlySpan<byte> ciphertext)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Sign(SignedBytes(header, encapsulatedKey, ciphertext));
    }

    /// <summary>True only for a valid signature over exactly these fields; never throws on a malformed signature.</summary>
    public static bool Verify(Ed25519PublicKey key, ReadOnlySpan<byte> header, ReadOnlySpan<byte> encapsulatedKey, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Verify(SignedBytes(header, encapsulatedKey, ciphertext), signature);
    }

    private static Span<byte> WriteField(Span<byte> destination, ReadOnlySpan<byte> field)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)field.Length);
        field.CopyTo(destination[4..]);
        return destination[(4 + field.Length)..];
    }
}
