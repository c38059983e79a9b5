using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Strongroom.Crypto;

/// <summary>The key types Strongroom publishes as JWK.</summary>
public enum JwkKeyType
{
    /// <summary>OKP, crv Ed25519 (RFC 8037): signing keys.</summary>
    Ed25519 = 1,

    /// <summary>OKP, crv X25519 (RFC 8037): HPKE sealing keys.</summary>
    X25519,

    /// <summary>RSA public keys (n, e) for StudioML runners.</summary>
    Rsa,
}

/// <summary>How strictly to read a JWK.</summary>
public enum JwkParseMode
{
    /// <summary>RFC 7517/7518/8037 as written: unpadded base64url, key_ops an array.</summary>
    Strict = 0,

    /// <summary>
    /// sqooler's keys: <c>x</c>/<c>d</c> may carry <c>=</c> padding, <c>d</c> may be null, and
    /// <c>key_ops</c> may be a bare string. Everything else is as strict.
    /// </summary>
    SqoolerCompat,
}

/// <summary>
/// A JSON Web Key (RFC 7517) of one of Strongroom's three kinds, parsed strictly: unknown kty/crv
/// refused, lengths exact, base64url canonical, duplicate members refused, and a private <c>d</c>
/// must match its public <c>x</c>. Members RFC 7517 lets a reader ignore are ignored. The
/// <c>kid</c> Strongroom assigns is the RFC 7638 <see cref="Thumbprint"/>. Dispose zeroes <c>d</c>.
/// </summary>
public sealed class JsonWebKey : IDisposable
{
    private const int MinRsaBits = 2048;
    private const int MaxRsaBits = 16384;

    private static readonly string[] RsaPrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth"];

    private readonly byte[] _publicBytes;
    private readonly byte[]? _exponent;
    private byte[]? _d;

    private JsonWebKey(JwkKeyType keyType, byte[] publicBytes, byte[]? exponent, byte[]? d, string? kid, string? alg)
    {
        KeyType = keyType;
        _publicBytes = publicBytes;
        _exponent = exponent;
        _d = d;
        Kid = kid;
        Alg = alg;
    }

    public JwkKeyType KeyType { get; }

    /// <summary>"OKP" or "RSA".</summary>
    public string Kty => KeyType == JwkKeyType.Rsa ? "RSA" : "OKP";

    /// <summary>"Ed25519", "X25519", or null for RSA.</summary>
    public string? Crv => KeyType switch
    {
        JwkKeyType.Ed25519 => "Ed25519",
        JwkKeyType.X25519 => "X25519",
        _ => null,
    };

    /// <summary>The <c>kid</c> member as read or given; null when absent.</summary>
    public string? Kid { get; }

    /// <summary>The <c>alg</c> member as read or given; null when absent.</summary>
    public string? Alg { get; }

    public bool HasPrivateKey => _d is not null;

    public static JsonWebKey Parse(string json, JwkParseMode mode = JwkParseMode.Strict)
    {
        ArgumentNullException.ThrowIfNull(json);
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        try
        {
            return Parse(utf8, mode);
        }
        finally
        {
            // The document may hold a private d: do not leave a copy behind.
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    public static JsonWebKey Parse(ReadOnlyMemory<byte> utf8Json, JwkParseMode mode = JwkParseMode.Strict)
    {
        using JsonDocument document = StrictJson.TryParseObject(utf8Json) ?? throw CryptoError.Malformed("JWK (not a strict JSON object)");
        return FromElement(document.RootElement, mode);
    }

    /// <summary>
    /// A sqooler private key string (<c>PRIVATE_JWK_STR</c>): base64url, with or without padding, of
    /// the JWK's JSON. Read in <see cref="JwkParseMode.SqoolerCompat"/> mode.
    /// </summary>
    public static JsonWebKey ParseSqoolerPrivateKeyString(string privateKeyString)
    {
        ArgumentNullException.ThrowIfNull(privateKeyString);
        if (!StrictBase64.TryDecodeUrlOptionalPadding(privateKeyString.Trim(), out byte[]? json))
        {
            throw CryptoError.Malformed("sqooler private key string (not base64url)");
        }

        try
        {
            return Parse(json, JwkParseMode.SqoolerCompat);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>The public JWK of an Ed25519 key, <c>kid</c> defaulting to its thumbprint.</summary>
    public static JsonWebKey FromPublicKey(Ed25519PublicKey key, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WithDefaultKid(JwkKeyType.Ed25519, key.Export(), null, kid, "EdDSA");
    }

    /// <summary>The public JWK of an X25519 key, <c>kid</c> defaulting to its thumbprint.</summary>
    public static JsonWebKey FromPublicKey(X25519PublicKey key, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WithDefaultKid(JwkKeyType.X25519, key.Export(), null, kid, null);
    }

    /// <summary>The public JWK (n, e) of an RSA key, <c>kid</c> defaulting to its thumbprint.</summary>
    public static JsonWebKey FromPublicKey(RSA key, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        RSAParameters parameters = key.ExportParameters(includePrivateParameters: false);
        byte[] n = TrimLeadingZeros(parameters.Modulus!);
        byte[] e = TrimLeadingZeros(parameters.Exponent!);
        CheckRsa(n, e);
        return WithDefaultKid(JwkKeyType.Rsa, n, e, kid, null);
    }

    /// <summary>RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, no whitespace, base64url.</summary>
    public string Thumbprint() => StrictBase64.EncodeUrl(SHA256.HashData(Encoding.UTF8.GetBytes(ThumbprintInput())));

    /// <summary>Serializes the JWK; <c>d</c> only when asked for and present.</summary>
    public string ToJson(bool includePrivateKey = false)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kty", Kty);
            if (KeyType == JwkKeyType.Rsa)
            {
                writer.WriteString("n", StrictBase64.EncodeUrl(_publicBytes));
                writer.WriteString("e", StrictBase64.EncodeUrl(_exponent));
            }
            else
            {
                writer.WriteString("crv", Crv);
                writer.WriteString("x", StrictBase64.EncodeUrl(_publicBytes));
                if (includePrivateKey && _d is not null)
                {
                    writer.WriteString("d", StrictBase64.EncodeUrl(_d));
                }
            }

            if (Kid is not null)
            {
                writer.WriteString("kid", Kid);
            }

            if (Alg is not null)
            {
                writer.WriteString("alg", Alg);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public Ed25519PublicKey ToEd25519PublicKey()
    {
        RequireType(JwkKeyType.Ed25519);
        return Ed25519PublicKey.Import(_publicBytes);
    }

    public Ed25519KeyPair ToEd25519KeyPair(bool exportable = false)
    {
        RequireType(JwkKeyType.Ed25519);
        return Ed25519KeyPair.ImportSeed(RequirePrivate(), exportable);
    }

    public X25519PublicKey ToX25519PublicKey()
    {
        RequireType(JwkKeyType.X25519);
        return X25519PublicKey.Import(_publicBytes);
    }

    public X25519KeyPair ToX25519KeyPair(bool exportable = false)
    {
        RequireType(JwkKeyType.X25519);
        return X25519KeyPair.Import(RequirePrivate(), exportable);
    }

    public RSA ToRsaPublicKey()
    {
        RequireType(JwkKeyType.Rsa);
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = _publicBytes, Exponent = _exponent });
        return rsa;
    }

    public void Dispose()
    {
        if (_d is not null)
        {
            CryptographicOperations.ZeroMemory(_d);
            _d = null;
        }
    }

    public override string ToString() => "JsonWebKey(" + Kty + (Crv is null ? string.Empty : "/" + Crv) + ", kid " + (Kid ?? "none") + ")";

    internal string ThumbprintInput() => KeyType == JwkKeyType.Rsa
        ? "{\"e\":\"" + StrictBase64.EncodeUrl(_exponent) + "\",\"kty\":\"RSA\",\"n\":\"" + StrictBase64.EncodeUrl(_publicBytes) + "\"}"
        : "{\"crv\":\"" + Crv + "\",\"kty\":\"OKP\",\"x\":\"" + StrictBase64.EncodeUrl(_publicBytes) + "\"}";

    private static JsonWebKey WithDefaultKid(JwkKeyType type, byte[] publicBytes, byte[]? exponent, string? kid, string? alg)
    {
        var key = new JsonWebKey(type, publicBytes, exponent, null, kid, alg);
        return kid is not null ? key : new JsonWebKey(type, publicBytes, exponent, null, key.Thumbprint(), alg);
    }

    private static JsonWebKey FromElement(JsonElement root, JwkParseMode mode)
    {
        string kty = RequiredString(root, "kty");
        string? kid = OptionalString(root, "kid");
        string? alg = OptionalString(root, "alg");
        _ = OptionalString(root, "use");
        CheckKeyOps(root, mode);

        if (kty == "RSA")
        {
            foreach (string member in RsaPrivateMembers)
            {
                if (root.TryGetProperty(member, out _))
                {
                    throw CryptoError.Unsupported("RSA private JWK");
                }
            }

            byte[] n = StrictBase64.DecodeUrl(RequiredString(root, "n"), "JWK n");
            byte[] e = StrictBase64.DecodeUrl(RequiredString(root, "e"), "JWK e");
            CheckRsa(n, e);
            return new JsonWebKey(JwkKeyType.Rsa, n, e, null, kid, alg);
        }

        if (kty != "OKP")
        {
            throw CryptoError.Unsupported("JWK kty other than OKP or RSA");
        }

        JwkKeyType type = RequiredString(root, "crv") switch
        {
            "Ed25519" => JwkKeyType.Ed25519,
            "X25519" => JwkKeyType.X25519,
            _ => throw CryptoError.Unsupported("OKP curve other than Ed25519 or X25519"),
        };

        if (type == JwkKeyType.Ed25519 && alg is not null && alg != "EdDSA")
        {
            throw CryptoError.Malformed("JWK (alg does not fit an Ed25519 key)");
        }

        byte[] x = DecodeOkpMember(RequiredString(root, "x"), mode, "JWK x");
        if (x.Length != 32)
        {
            throw CryptoError.Malformed("JWK x (must be 32 bytes)");
        }

        byte[]? d = null;
        if (root.TryGetProperty("d", out JsonElement dElement) && !(mode == JwkParseMode.SqoolerCompat && dElement.ValueKind == JsonValueKind.Null))
        {
            if (dElement.ValueKind != JsonValueKind.String)
            {
                throw CryptoError.Malformed("JWK d");
            }

            d = DecodeOkpMember(dElement.GetString()!, mode, "JWK d");
            if (d.Length != 32 || !PrivateMatchesPublic(type, d, x))
            {
                CryptographicOperations.ZeroMemory(d);
                throw CryptoError.Malformed("JWK d (wrong length or does not match x)");
            }
        }

        if (type == JwkKeyType.Ed25519 && !Ed25519PublicKey.TryImport(x, out _))
        {
            throw CryptoError.Malformed("JWK x (not an Ed25519 public key)");
        }

        return new JsonWebKey(type, x, null, d, kid, alg);
    }

    private static bool PrivateMatchesPublic(JwkKeyType type, byte[] d, byte[] x)
    {
        if (type == JwkKeyType.Ed25519)
        {
            using var pair = Ed25519KeyPair.ImportSeed(d);
            return pair.PublicKey.Bytes.SequenceEqual(x);
        }

        Span<byte> derived = stackalloc byte[X25519Ephemeral.PublicKeySize];
        X25519Ephemeral.DerivePublicKey(d, derived);
        return derived.SequenceEqual(x);
    }

    private static byte[] DecodeOkpMember(string value, JwkParseMode mode, string what)
    {
        bool ok = mode == JwkParseMode.SqoolerCompat
            ? StrictBase64.TryDecodeUrlOptionalPadding(value, out byte[]? data)
            : StrictBase64.TryDecodeUrl(value, out data);
        return ok ? data! : throw CryptoError.Malformed(what);
    }

    private static void CheckKeyOps(JsonElement root, JwkParseMode mode)
    {
        if (!root.TryGetProperty("key_ops", out JsonElement ops))
        {
            return;
        }

        if (ops.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement op in ops.EnumerateArray())
            {
                if (op.ValueKind != JsonValueKind.String)
                {
                    throw CryptoError.Malformed("JWK key_ops");
                }
            }
        }
        else if (!(mode == JwkParseMode.SqoolerCompat && ops.ValueKind == JsonValueKind.String))
        {
            throw CryptoError.Malformed("JWK key_ops");
        }
    }

    private static void CheckRsa(byte[] n, byte[] e)
    {
        // Minimal encodings only (RFC 7518 6.3.1): a leading zero would give a second encoding.
        if (n.Length == 0 || n[0] == 0 || e.Length == 0 || e[0] == 0 || e.Length > 8)
        {
            throw CryptoError.Malformed("RSA JWK (n or e not minimal)");
        }

        int bits = (n.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)n[0]) + 24;
        if (bits is < MinRsaBits or > MaxRsaBits || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] < 3))
        {
            throw CryptoError.Unsupported("RSA key size or exponent");
        }
    }

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        int start = 0;
        while (start < value.Length - 1 && value[start] == 0)
        {
            start++;
        }

        return value[start..];
    }

    private static string RequiredString(JsonElement root, string name) =>
        OptionalString(root, name) ?? throw CryptoError.Malformed("JWK (missing " + name + ")");

    private static string? OptionalString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw CryptoError.Malformed("JWK (" + name + " is not a string)");
    }

    private void RequireType(JwkKeyType type)
    {
        if (KeyType != type)
        {
            throw CryptoError.InvalidArgument("The JWK is not a " + type + " key.");
        }
    }

    private byte[] RequirePrivate() => _d ?? throw CryptoError.InvalidArgument("The JWK has no private key.");
}
