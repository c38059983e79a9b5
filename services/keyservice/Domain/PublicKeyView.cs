using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Crypto;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyPublishing;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.KeyService.Domain;

/// <summary>The public half of one key version in every format a client may pin or seal to.</summary>
public sealed record PublicKeyView(
    string Kid,
    string JwkJson,
    string SpkiPem,
    string? Pkcs1Pem,
    string? OpenSshPublicKey,
    string? OpenSshFingerprint)
{
    // SubjectPublicKeyInfo prefix for X25519 (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.110 } BIT STRING }.
    private static readonly byte[] X25519SpkiPrefix = Convert.FromHexString("302a300506032b656e032100");

    /// <summary>
    /// What the key log is told about a keyservice version: RSA-4096 keys are STUDIOML_DECRYPTION,
    /// X25519 keys REQUEST_DECRYPTION. The import key is never published (null).
    /// </summary>
    public static KeyDescriber Describe(KeyServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (key, version) =>
        {
            if (key.Name == options.ImportKeyName)
            {
                return null;
            }

            var kind = key.Kind switch
            {
                Rsa4096Kind.KindName => StorageApi.KeyKind.StudiomlDecryption,
                X25519Kind.KindName => StorageApi.KeyKind.RequestDecryption,
                _ => throw new InvalidOperationException("no key-log kind for " + key.Kind),
            };
            var view = Of(key.Kind, version);
            return new PublishedKey(view.Kid, view.JwkJson, kind);
        };
    }

    public static PublicKeyView Of(string kind, KeyVersion version) => kind switch
    {
        Rsa4096Kind.KindName => OfRsa(version.PublicKey),
        X25519Kind.KindName => OfX25519(version.PublicKey),
        _ => throw new InvalidOperationException("no public formats for kind " + kind),
    };

    private static PublicKeyView OfRsa(byte[] spki)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        using var jwk = JsonWebKey.FromPublicKey(rsa);
        var parameters = rsa.ExportParameters(false);
        var blob = SshRsaBlob(parameters.Exponent!, parameters.Modulus!);
        return new PublicKeyView(
            jwk.Thumbprint(),
            jwk.ToJson(),
            rsa.ExportSubjectPublicKeyInfoPem(),
            rsa.ExportRSAPublicKeyPem(),
            "ssh-rsa " + Convert.ToBase64String(blob),
            "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('='));
    }

    private static PublicKeyView OfX25519(byte[] raw)
    {
        using var jwk = JsonWebKey.FromPublicKey(X25519PublicKey.Import(raw));
        var spki = new byte[X25519SpkiPrefix.Length + raw.Length];
        X25519SpkiPrefix.CopyTo(spki, 0);
        raw.CopyTo(spki, X25519SpkiPrefix.Length);
        return new PublicKeyView(jwk.Thumbprint(), jwk.ToJson(), PemEncoding.WriteString("PUBLIC KEY", spki), null, null, null);
    }

    /// <summary>RFC 4253 "ssh-rsa" blob: string "ssh-rsa", mpint e, mpint n.</summary>
    private static byte[] SshRsaBlob(byte[] exponent, byte[] modulus)
    {
        using var stream = new MemoryStream();
        WriteString(stream, Encoding.ASCII.GetBytes("ssh-rsa"));
        WriteMpint(stream, exponent);
        WriteMpint(stream, modulus);
        return stream.ToArray();
    }

    private static void WriteMpint(MemoryStream stream, byte[] unsignedBigEndian)
    {
        var start = 0;
        while (start < unsignedBigEndian.Length - 1 && unsignedBigEndian[start] == 0)
        {
            start++;
        }

        var value = unsignedBigEndian.AsSpan(start);
        // A set high bit would read as negative: mpints get a leading zero byte then.
        var pad = (value[0] & 0x80) != 0;
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)(value.Length + (pad ? 1 : 0)));
        stream.Write(length);
        if (pad)
        {
            stream.WriteByte(0);
        }

        stream.Write(value);
    }

    private static void WriteString(MemoryStream stream, byte[] value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        stream.Write(length);
        stream.Write(value);
    }
}
