using System.Text;
using System.Text.Json.Nodes;
using Strongroom.Crypto;
using static Strongroom.KeyLog.EntrySchema;

namespace Strongroom.KeyLog;

/// <summary>
/// <c>key_published</c>: a key version's public half. <c>kid</c> must equal the RFC 7638 thumbprint of
/// <c>jwk</c> (checked on parse), and <c>jwk</c> is the normalized public JWK (see <see cref="NormalizeJwk"/>).
/// </summary>
public sealed record KeyPublished : KeyLogEntry
{
    public const string TypeName = "key_published";

    public required string Kid { get; init; }

    /// <summary>Normalized public JWK JSON (canonical).</summary>
    public required string JwkJson { get; init; }

    /// <summary>The owning service or client (full SPIFFE identity).</summary>
    public required string Owner { get; init; }

    public required KeyKind Kind { get; init; }

    public required string KeyName { get; init; }

    public required long Version { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [Kid];

    /// <summary>
    /// The one public JWK form the log keeps: kty, crv/x or n/e, kid = thumbprint, and alg EdDSA for
    /// Ed25519 keys; refuses private keys. Returns the canonical JSON and the thumbprint.
    /// </summary>
    public static (string JwkJson, string Kid) NormalizeJwk(JsonWebKey jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        if (jwk.HasPrivateKey)
        {
            throw new KeyLogFormatException("a private JWK is never published");
        }

        var kid = jwk.Thumbprint();
        var obj = (JsonObject)JsonNode.Parse(jwk.ToJson())!;
        obj.Remove("kid");
        obj.Remove("alg");
        obj["kid"] = kid;
        if (jwk.KeyType == JwkKeyType.Ed25519)
        {
            obj["alg"] = Crypto.Jws.Algorithm;
        }

        return (Encoding.UTF8.GetString(CanonicalJson.Serialize(obj)), kid);
    }

    /// <summary>The key's OpenSSH fingerprint when it is Ed25519, else null.</summary>
    public string? OpenSshFingerprint()
    {
        using var jwk = JsonWebKey.Parse(JwkJson);
        return jwk.KeyType == JwkKeyType.Ed25519 ? OpenSsh.Fingerprint(jwk.ToEd25519PublicKey()) : null;
    }

    protected override void AddMembers(JsonObject obj)
    {
        obj["kid"] = Kid;
        obj["jwk"] = JsonNode.Parse(JwkJson);
        obj["owner"] = Owner;
        obj["kind"] = Snake(Kind);
        obj["key_name"] = KeyName;
        obj["version"] = Version;
    }

    internal static KeyPublished From(JsonObject obj, long time)
    {
        Exactly(obj, "kid", "jwk", "owner", "kind", "key_name", "version");
        if (obj["jwk"] is not JsonObject jwkObj)
        {
            throw new KeyLogFormatException("'jwk' must be an object");
        }

        var jwkJson = Encoding.UTF8.GetString(CanonicalJson.Serialize(jwkObj));
        string normalized, thumbprint;
        try
        {
            using var jwk = JsonWebKey.Parse(jwkJson);
            (normalized, thumbprint) = NormalizeJwk(jwk);
        }
        catch (CryptoException)
        {
            throw new KeyLogFormatException("'jwk' is not a valid public JWK");
        }

        var kind = FromSnake<KeyKind>(Str(obj, "kind"), "kind");
        var kid = CheckKid(Str(obj, "kid"), "kid");
        if (!string.Equals(normalized, jwkJson, StringComparison.Ordinal) || !string.Equals(kid, thumbprint, StringComparison.Ordinal))
        {
            throw new KeyLogFormatException("'jwk' is not normalized or 'kid' is not its thumbprint");
        }

        var version = Int(obj, "version");
        if (version < 1 || version > uint.MaxValue)
        {
            throw new KeyLogFormatException("'version' must be a positive 32-bit integer");
        }

        return new KeyPublished
        {
            Time = time,
            Kid = kid,
            JwkJson = jwkJson,
            Owner = CheckIdentity(Str(obj, "owner"), "owner"),
            Kind = kind,
            KeyName = Str(obj, "key_name"),
            Version = version,
        };
    }
}
