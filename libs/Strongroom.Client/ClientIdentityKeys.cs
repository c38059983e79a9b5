using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strongroom.Crypto;
using Strongroom.Pki;

namespace Strongroom.Client;

/// <summary>
/// A client's two keys (DESIGN §3.3): the Ed25519 key that signs requests and the X25519 key results
/// are sealed to. Kept in a folder, every file 0600 and written atomically:
/// <list type="bullet">
/// <item><c>signing</c>: the Ed25519 private key as an unencrypted OpenSSH private key (what ssh-keygen writes);</item>
/// <item><c>signing.pub</c>: its authorized_keys line; <c>signing.jwk.json</c>: its public JWK;</item>
/// <item><c>sealing.jwk</c>: the X25519 private JWK; <c>sealing.jwk.json</c>: its public JWK.</item>
/// </list>
/// </summary>
public sealed class ClientIdentityKeys : IDisposable
{
    public const string SigningKeyFile = "signing";
    public const string SigningPublicFile = "signing.pub";
    public const string SigningJwkFile = "signing.jwk.json";
    public const string SealingKeyFile = "sealing.jwk";
    public const string SealingJwkFile = "sealing.jwk.json";

    private static readonly byte[] OpenSshMagic = "openssh-key-v1\0"u8.ToArray();

    private ClientIdentityKeys(Ed25519KeyPair signing, X25519KeyPair sealing)
    {
        Signing = signing;
        Sealing = sealing;
        using var signingJwk = JsonWebKey.FromPublicKey(signing.PublicKey);
        using var sealingJwk = JsonWebKey.FromPublicKey(sealing.PublicKey);
        SigningKid = signingJwk.Thumbprint();
        SealingKid = sealingJwk.Thumbprint();
    }

    public Ed25519KeyPair Signing { get; }

    public X25519KeyPair Sealing { get; }

    /// <summary>RFC 7638 thumbprint of the signing key: the header's signing_kid.</summary>
    public string SigningKid { get; }

    /// <summary>RFC 7638 thumbprint of the sealing key: the header's result_kid.</summary>
    public string SealingKid { get; }

    /// <summary>The StudioML fingerprint F (<c>SHA256:...</c>, as <c>ssh-keygen -l -E sha256</c> prints).</summary>
    public string OpenSshFingerprint => OpenSsh.Fingerprint(Signing.PublicKey);

    public string AuthorizedKeyLine(string? comment = null) => OpenSsh.FormatAuthorizedKey(Signing.PublicKey, comment);

    public string SigningPublicJwk()
    {
        using var jwk = JsonWebKey.FromPublicKey(Signing.PublicKey);
        return jwk.ToJson();
    }

    public string SealingPublicJwk()
    {
        using var jwk = JsonWebKey.FromPublicKey(Sealing.PublicKey);
        return jwk.ToJson();
    }

    /// <summary>Fresh keys; exportable so they can be saved.</summary>
    public static ClientIdentityKeys Generate() => new(Ed25519KeyPair.Generate(exportable: true), X25519KeyPair.Generate(exportable: true));

    /// <summary>Writes all five files into <paramref name="directory"/> (created if missing).</summary>
    public void Save(string directory, string? comment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var openssh = FormatOpenSshPrivateKey(comment ?? "");
        try
        {
            SecureFile.WriteAllBytes(Path.Combine(directory, SigningKeyFile), openssh, secret: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(openssh);
        }

        var sealingPrivate = FormatX25519PrivateJwk();
        try
        {
            SecureFile.WriteAllBytes(Path.Combine(directory, SealingKeyFile), sealingPrivate, secret: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sealingPrivate);
        }

        SecureFile.WriteAllText(Path.Combine(directory, SigningPublicFile), AuthorizedKeyLine(comment) + "\n", secret: true);
        SecureFile.WriteAllText(Path.Combine(directory, SigningJwkFile), SigningPublicJwk() + "\n", secret: true);
        SecureFile.WriteAllText(Path.Combine(directory, SealingJwkFile), SealingPublicJwk() + "\n", secret: true);
    }

    /// <summary>Reads the private files back; the public files must name the same keys (a mixed-up folder is refused).</summary>
    public static ClientIdentityKeys Load(string directory, bool exportable = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var signing = OpenSsh.ParsePrivateKey(File.ReadAllText(Path.Combine(directory, SigningKeyFile)), exportable);
        X25519KeyPair sealing;
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(directory, SealingKeyFile));
            try
            {
                using var jwk = JsonWebKey.Parse(bytes);
                sealing = jwk.ToX25519KeyPair(exportable);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }
        catch
        {
            signing.Dispose();
            throw;
        }

        var keys = new ClientIdentityKeys(signing, sealing);
        var publicLine = Path.Combine(directory, SigningPublicFile);
        if (File.Exists(publicLine) && !OpenSsh.ParseAuthorizedKey(File.ReadAllText(publicLine).Trim()).Key.Equals(signing.PublicKey))
        {
            keys.Dispose();
            throw new InvalidDataException($"{SigningPublicFile} does not hold the public half of {SigningKeyFile}");
        }

        var sealingPublic = Path.Combine(directory, SealingJwkFile);
        if (File.Exists(sealingPublic))
        {
            using var jwk = JsonWebKey.Parse(File.ReadAllText(sealingPublic));
            if (jwk.Thumbprint() != keys.SealingKid)
            {
                keys.Dispose();
                throw new InvalidDataException($"{SealingJwkFile} does not hold the public half of {SealingKeyFile}");
            }
        }

        return keys;
    }

    /// <summary>
    /// The JSON an operator signs to register this client (DESIGN §3.3; storage's RegisterClient):
    /// <c>{"identity", "signing_key" (authorized_keys line), "sealing_key" (X25519 JWK), "aliases"}</c>.
    /// </summary>
    public string RegistrationPayload(string identity, IEnumerable<string>? aliases = null) =>
        Registration.Payload(identity, AuthorizedKeyLine(), SealingPublicJwk(), aliases);

    public void Dispose()
    {
        Signing.Dispose();
        Sealing.Dispose();
    }

    /// <summary>openssh-key-v1, cipher and kdf "none", one ssh-ed25519 key; PEM-armoured, 70 columns like ssh-keygen.</summary>
    private byte[] FormatOpenSshPrivateKey(string comment)
    {
        var seed = Signing.ExportSeed();
        var pub = Signing.PublicKey.Export();
        var blob = OpenSsh.PublicKeyBlob(Signing.PublicKey);
        var check = RandomNumberGenerator.GetBytes(4);
        var commentBytes = Encoding.UTF8.GetBytes(comment);
        var sectionLength = 8 + 4 + 11 + 4 + 32 + 4 + 64 + 4 + commentBytes.Length;
        var padded = (sectionLength + 7) / 8 * 8;
        var section = new byte[padded];
        var body = new byte[OpenSshMagic.Length + (4 + 4) + (4 + 4) + 4 + 4 + (4 + blob.Length) + (4 + padded)];
        byte[]? armoured = null;
        try
        {
            var s = 0;
            check.CopyTo(section, 0);
            check.CopyTo(section, 4);
            s = 8;
            s = Put(section, s, "ssh-ed25519"u8);
            s = Put(section, s, pub);
            BinaryPrimitives.WriteUInt32BigEndian(section.AsSpan(s), 64);
            seed.CopyTo(section, s + 4);
            pub.CopyTo(section, s + 36);
            s += 68;
            s = Put(section, s, commentBytes);
            for (byte pad = 1; s < padded; pad++)
            {
                section[s++] = pad;
            }

            var b = 0;
            OpenSshMagic.CopyTo(body, 0);
            b = OpenSshMagic.Length;
            b = Put(body, b, "none"u8);
            b = Put(body, b, "none"u8);
            b = Put(body, b, []);
            BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(b), 1);
            b = Put(body, b + 4, blob);
            _ = Put(body, b, section);

            var base64 = new byte[Base64.GetMaxEncodedToUtf8Length(body.Length)];
            try
            {
                _ = Base64.EncodeToUtf8(body, base64, out _, out var written);
                var begin = "-----BEGIN OPENSSH PRIVATE KEY-----\n"u8;
                var end = "-----END OPENSSH PRIVATE KEY-----\n"u8;
                var lines = (written + 69) / 70;
                armoured = new byte[begin.Length + written + lines + end.Length];
                begin.CopyTo(armoured);
                var a = begin.Length;
                for (var i = 0; i < written; i += 70)
                {
                    var n = Math.Min(70, written - i);
                    base64.AsSpan(i, n).CopyTo(armoured.AsSpan(a));
                    a += n;
                    armoured[a++] = (byte)'\n';
                }

                end.CopyTo(armoured.AsSpan(a));
                return armoured;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(base64);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(section);
            CryptographicOperations.ZeroMemory(body);
        }
    }

    private static int Put(byte[] destination, int offset, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination.AsSpan(offset), (uint)value.Length);
        value.CopyTo(destination.AsSpan(offset + 4));
        return offset + 4 + value.Length;
    }

    /// <summary>{"crv":"X25519","d":...,"kty":"OKP","x":...}, written straight to bytes so no string holds d.</summary>
    private byte[] FormatX25519PrivateJwk()
    {
        var d = Sealing.ExportPrivateKey();
        var dText = new byte[Base64Url.GetEncodedLength(d.Length)];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        try
        {
            _ = Base64Url.EncodeToUtf8(d, dText);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("crv", "X25519");
                writer.WriteString("d"u8, dText);
                writer.WriteString("kty", "OKP");
                writer.WriteString("x", StrictBase64.EncodeUrl(Sealing.PublicKey.Export()));
                writer.WriteEndObject();
            }

            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
            CryptographicOperations.ZeroMemory(dText);
            buffer.Clear();
        }
    }
}
