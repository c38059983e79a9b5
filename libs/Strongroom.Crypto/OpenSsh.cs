using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Crypto;

/// <summary>An <c>ssh-ed25519</c> authorized_keys entry.</summary>
public sealed record SshAuthorizedKey(Ed25519PublicKey Key, string Comment);

/// <summary>
/// The OpenSSH encodings Strongroom reads (PROTOCOL, PROTOCOL.key, RFC 8709), Ed25519 only and
/// strictly: every length checked, nothing trailing, one encoding per key.
/// </summary>
public static class OpenSsh
{
    private const string KeyType = "ssh-ed25519";
    private const string PrivateKeyBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private const string PrivateKeyEnd = "-----END OPENSSH PRIVATE KEY-----";

    /// <summary>Size of the SSH wire signature: uint32 11 "ssh-ed25519" uint32 64 sig.</summary>
    public const int WireSignatureSize = 4 + 11 + 4 + 64;

    private static ReadOnlySpan<byte> KeyTypeBytes => "ssh-ed25519"u8;

    private static ReadOnlySpan<byte> PrivateKeyMagic => "openssh-key-v1\0"u8;

    /// <summary>The SSH public key blob: uint32 11 "ssh-ed25519" uint32 32 key.</summary>
    public static byte[] PublicKeyBlob(Ed25519PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var writer = new SshWriter();
        writer.WriteString(KeyTypeBytes);
        writer.WriteString(key.Bytes);
        return writer.ToArray();
    }

    /// <summary><c>"SHA256:" + unpadded base64(SHA-256(blob))</c>, as <c>ssh-keygen -l -E sha256</c> prints it.</summary>
    public static string Fingerprint(Ed25519PublicKey key) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(PublicKeyBlob(key))).TrimEnd('=');

    /// <summary>Formats an authorized_keys line.</summary>
    public static string FormatAuthorizedKey(Ed25519PublicKey key, string? comment = null)
    {
        string line = KeyType + " " + Convert.ToBase64String(PublicKeyBlob(key));
        return string.IsNullOrEmpty(comment) ? line : line + " " + comment;
    }

    /// <summary>Parses <c>ssh-ed25519 BASE64 [comment]</c>; throws <see cref="CryptoErrorKind.Malformed"/> or <see cref="CryptoErrorKind.Unsupported"/>.</summary>
    public static SshAuthorizedKey ParseAuthorizedKey(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string trimmed = line.TrimEnd('\r', '\n');
        if (trimmed.Contains('\n', StringComparison.Ordinal) || trimmed.Contains('\r', StringComparison.Ordinal))
        {
            throw CryptoError.Malformed("authorized_keys line (more than one line)");
        }

        int firstSpace = trimmed.IndexOfAny([' ', '\t']);
        string type = firstSpace < 0 ? trimmed : trimmed[..firstSpace];
        if (type != KeyType)
        {
            // Options prefixes (from=, command=) and other key types are not accepted.
            throw CryptoError.Unsupported("authorized_keys entry that is not a plain ssh-ed25519 key");
        }

        string rest = firstSpace < 0 ? string.Empty : trimmed[(firstSpace + 1)..].TrimStart(' ', '\t');
        int secondSpace = rest.IndexOfAny([' ', '\t']);
        string base64 = secondSpace < 0 ? rest : rest[..secondSpace];
        string comment = secondSpace < 0 ? string.Empty : rest[(secondSpace + 1)..].Trim(' ', '\t');
        if (!StrictBase64.TryDecode(base64, out byte[]? blob))
        {
            throw CryptoError.Malformed("authorized_keys key (not base64)");
        }

        return new SshAuthorizedKey(ParsePublicKeyBlob(blob), comment);
    }

    /// <summary>Parses the public key blob exactly: uint32 11 "ssh-ed25519" uint32 32 key, nothing after.</summary>
    public static Ed25519PublicKey ParsePublicKeyBlob(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        if (!reader.TryReadString(out ReadOnlySpan<byte> type) || !type.SequenceEqual(KeyTypeBytes))
        {
            throw CryptoError.Unsupported("SSH key type other than ssh-ed25519");
        }

        if (!reader.TryReadString(out ReadOnlySpan<byte> key) || key.Length != Ed25519PublicKey.Size || !reader.AtEnd)
        {
            throw CryptoError.Malformed("ssh-ed25519 key blob");
        }

        return Ed25519PublicKey.Import(key);
    }

    /// <summary>
    /// Accepts an Ed25519 signature as raw 64 bytes or in SSH wire form (83 bytes:
    /// uint32 11 "ssh-ed25519" uint32 64 sig). Anything else is refused.
    /// </summary>
    public static bool TryParseSignature(ReadOnlySpan<byte> encoded, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? signature)
    {
        signature = null;
        if (encoded.Length == Ed25519PublicKey.SignatureSize)
        {
            signature = encoded.ToArray();
            return true;
        }

        if (encoded.Length != WireSignatureSize)
        {
            return false;
        }

        var reader = new SshReader(encoded);
        if (!reader.TryReadString(out ReadOnlySpan<byte> type) || !type.SequenceEqual(KeyTypeBytes) ||
            !reader.TryReadString(out ReadOnlySpan<byte> raw) || raw.Length != Ed25519PublicKey.SignatureSize || !reader.AtEnd)
        {
            return false;
        }

        signature = raw.ToArray();
        return true;
    }

    /// <summary>The SSH wire form of a raw Ed25519 signature.</summary>
    public static byte[] EncodeSignature(ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Ed25519PublicKey.SignatureSize)
        {
            throw CryptoError.InvalidLength("Ed25519 signature", Ed25519PublicKey.SignatureSize, signature.Length);
        }

        var writer = new SshWriter();
        writer.WriteString(KeyTypeBytes);
        writer.WriteString(signature);
        return writer.ToArray();
    }

    /// <summary>
    /// Reads an unencrypted <c>-----BEGIN OPENSSH PRIVATE KEY-----</c> holding one ssh-ed25519 key.
    /// Encrypted keys are <see cref="CryptoErrorKind.Unsupported"/> (decrypt with ssh-keygen first);
    /// the check integers, the embedded public key and the padding are all verified.
    /// </summary>
    public static Ed25519KeyPair ParsePrivateKey(string pem, bool exportable = false)
    {
        ArgumentNullException.ThrowIfNull(pem);
        byte[] data = DecodeArmor(pem);
        byte[]? privateBlock = null;
        try
        {
            var reader = new SshReader(data);
            if (!reader.TryReadRaw(PrivateKeyMagic.Length, out ReadOnlySpan<byte> magic) || !magic.SequenceEqual(PrivateKeyMagic) ||
                !reader.TryReadString(out ReadOnlySpan<byte> cipher) ||
                !reader.TryReadString(out ReadOnlySpan<byte> kdf) ||
                !reader.TryReadString(out ReadOnlySpan<byte> kdfOptions) ||
                !reader.TryReadUInt32(out uint keyCount))
            {
                throw CryptoError.Malformed("OpenSSH private key");
            }

            if (!cipher.SequenceEqual("none"u8) || !kdf.SequenceEqual("none"u8) || !kdfOptions.IsEmpty)
            {
                throw CryptoError.Unsupported("encrypted OpenSSH private key");
            }

            if (keyCount != 1)
            {
                throw CryptoError.Unsupported("OpenSSH private key file with more than one key");
            }

            if (!reader.TryReadString(out ReadOnlySpan<byte> publicBlob) || !reader.TryReadString(out ReadOnlySpan<byte> privateSection) || !reader.AtEnd)
            {
                throw CryptoError.Malformed("OpenSSH private key");
            }

            Ed25519PublicKey outerPublic = ParsePublicKeyBlob(publicBlob);
            privateBlock = privateSection.ToArray();
            return ParsePrivateSection(privateBlock, outerPublic, exportable);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
            if (privateBlock is not null)
            {
                CryptographicOperations.ZeroMemory(privateBlock);
            }
        }
    }

    private static Ed25519KeyPair ParsePrivateSection(ReadOnlySpan<byte> section, Ed25519PublicKey outerPublic, bool exportable)
    {
        // Unencrypted sections are padded to the 8-byte "cipher block" of cipher "none".
        if (section.Length % 8 != 0)
        {
            throw CryptoError.Malformed("OpenSSH private key (section length)");
        }

        var reader = new SshReader(section);
        if (!reader.TryReadUInt32(out uint check1) || !reader.TryReadUInt32(out uint check2) || check1 != check2 ||
            !reader.TryReadString(out ReadOnlySpan<byte> type) || !type.SequenceEqual(KeyTypeBytes) ||
            !reader.TryReadString(out ReadOnlySpan<byte> publicKey) || publicKey.Length != Ed25519PublicKey.Size ||
            !reader.TryReadString(out ReadOnlySpan<byte> secret) || secret.Length != 64 ||
            !reader.TryReadString(out _))
        {
            throw CryptoError.Malformed("OpenSSH private key (private section)");
        }

        ReadOnlySpan<byte> padding = reader.Remaining;
        for (int i = 0; i < padding.Length; i++)
        {
            if (padding[i] != (byte)(i + 1))
            {
                throw CryptoError.Malformed("OpenSSH private key (padding)");
            }
        }

        // OpenSSH stores seed || public key; all three copies of the public key must agree.
        if (!publicKey.SequenceEqual(outerPublic.Bytes) || !secret[32..].SequenceEqual(publicKey))
        {
            throw CryptoError.Malformed("OpenSSH private key (public keys disagree)");
        }

        var pair = Ed25519KeyPair.ImportSeed(secret[..32], exportable);
        if (!pair.PublicKey.Equals(outerPublic))
        {
            pair.Dispose();
            throw CryptoError.Malformed("OpenSSH private key (seed does not match the public key)");
        }

        return pair;
    }

    private static byte[] DecodeArmor(string pem)
    {
        string text = pem.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (!text.StartsWith(PrivateKeyBegin + "\n", StringComparison.Ordinal) || !text.EndsWith("\n" + PrivateKeyEnd, StringComparison.Ordinal))
        {
            throw CryptoError.Malformed("OpenSSH private key armor");
        }

        string body = text[(PrivateKeyBegin.Length + 1)..^(PrivateKeyEnd.Length + 1)];
        var base64 = new StringBuilder(body.Length);
        foreach (string line in body.Split('\n'))
        {
            base64.Append(line);
        }

        return StrictBase64.TryDecode(base64.ToString(), out byte[]? data) ? data : throw CryptoError.Malformed("OpenSSH private key base64");
    }

    private ref struct SshReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        public readonly ReadOnlySpan<byte> Remaining => _rest;

        public bool TryReadUInt32(out uint value)
        {
            value = 0;
            if (_rest.Length < 4)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
            _rest = _rest[4..];
            return true;
        }

        public bool TryReadRaw(int length, out ReadOnlySpan<byte> value)
        {
            value = default;
            if (_rest.Length < length)
            {
                return false;
            }

            value = _rest[..length];
            _rest = _rest[length..];
            return true;
        }

        public bool TryReadString(out ReadOnlySpan<byte> value)
        {
            value = default;
            return TryReadUInt32(out uint length) && length <= (uint)_rest.Length && TryReadRaw((int)length, out value);
        }
    }

    private sealed class SshWriter
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new();

        public void WriteString(ReadOnlySpan<byte> value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), (uint)value.Length);
            _buffer.Advance(4);
            System.Buffers.BuffersExtensions.Write(_buffer, value);
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
