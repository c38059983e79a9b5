using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strongroom.Crypto;

namespace Strongroom.KeyLog;

/// <summary>What a published key is for; fixes its algorithm.</summary>
public enum KeyKind
{
    StudioMlDecryption = 1,
    RequestDecryption,
    ResultSigning,
    LogSigning,
    ClientSigning,
    ClientSealing,
}

/// <summary>A key version's state as the log records it. Revoked is terminal; destroyed can only become revoked.</summary>
public enum KeyState
{
    Enabled = 1,
    Disabled,
    DestroyScheduled,
    Destroyed,
    Revoked,
}

/// <summary>A marker on one version of a named key (not a state change).</summary>
public enum KeyMark
{
    Primary = 1,
    MinimumVersion,
}

/// <summary>
/// One key-log entry. Every type has a closed schema (docs/keylog.md): each member required,
/// nothing else allowed, times in integer Unix seconds, binary values unpadded base64url. The bytes
/// hashed into the log are <see cref="ToCanonicalJson"/>, the RFC 8785 form, and
/// <see cref="Parse"/> accepts only that form, so a reader never hashes something it did not check.
/// </summary>
public abstract partial record KeyLogEntry
{
    /// <summary>Unix seconds the entry was appended (or the event took effect).</summary>
    public required long Time { get; init; }

    /// <summary>The <c>type</c> member.</summary>
    public abstract string Type { get; }

    /// <summary>Every kid the entry names (for look-ups).</summary>
    public abstract IReadOnlyList<string> Kids { get; }

    public byte[] ToCanonicalJson()
    {
        var obj = new JsonObject { ["type"] = Type, ["time"] = Time };
        AddMembers(obj);
        var bytes = CanonicalJson.Serialize(obj);
        // Round trip: what we write must be what Parse accepts (catches an invalid value early).
        _ = Parse(bytes);
        return bytes;
    }

    public byte[] LeafHash() => MerkleTree.LeafHash(ToCanonicalJson());

    protected abstract void AddMembers(JsonObject obj);

    /// <summary>Parses and checks an entry; refuses anything that is not canonical JSON of a known schema.</summary>
    public static KeyLogEntry Parse(ReadOnlySpan<byte> canonicalJson)
    {
        if (!CanonicalJson.IsCanonical(canonicalJson))
        {
            throw new KeyLogFormatException("entry is not RFC 8785 canonical JSON of the key log's schemas");
        }

        if (CanonicalJson.Parse(canonicalJson) is not JsonObject obj)
        {
            throw new KeyLogFormatException("entry is not a JSON object");
        }

        var type = Str(obj, "type");
        var time = Int(obj, "time");
        if (time < 0)
        {
            throw new KeyLogFormatException("negative time");
        }

        KeyLogEntry entry = type switch
        {
            KeyPublished.TypeName => KeyPublished.From(obj, time),
            AliasBound.TypeName => AliasBound.From(obj, time),
            ClientRegistered.TypeName => ClientRegistered.From(obj, time),
            KeyStateChanged.TypeName => KeyStateChanged.From(obj, time),
            KeyVersionMarked.TypeName => KeyVersionMarked.From(obj, time),
            ClientKeysRevoked.TypeName => ClientKeysRevoked.From(obj, time),
            AuditAnchor.TypeName => AuditAnchor.From(obj, time),
            _ => throw new KeyLogFormatException("unknown entry type"),
        };
        return entry;
    }

    // ---- schema helpers -------------------------------------------------------------------

    internal static void Exactly(JsonObject obj, params string[] members)
    {
        var expected = new HashSet<string>(members, StringComparer.Ordinal) { "type", "time" };
        if (obj.Count != expected.Count || obj.Any(p => !expected.Contains(p.Key)))
        {
            throw new KeyLogFormatException("entry members differ from its schema");
        }
    }

    internal static string Str(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 and <= 4096 } s
            ? s
            : throw new KeyLogFormatException($"'{name}' must be a non-empty string");

    internal static long Int(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? CanonicalJson.IntegerOf(v)
            : throw new KeyLogFormatException($"'{name}' must be an integer");

    internal static List<string> StrArray(JsonObject obj, string name)
    {
        if (obj[name] is not JsonArray array)
        {
            throw new KeyLogFormatException($"'{name}' must be an array of strings");
        }

        var values = array.Select(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw new KeyLogFormatException($"'{name}' must be an array of strings")).ToList();
        if (values.Distinct(StringComparer.Ordinal).Count() != values.Count)
        {
            throw new KeyLogFormatException($"'{name}' repeats a value");
        }

        return values;
    }

    internal static JsonArray ToArray(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v)!)]);

    internal static string CheckKid(string value, string name) =>
        KidPattern().IsMatch(value) ? value : throw new KeyLogFormatException($"'{name}' is not an RFC 7638 thumbprint");

    internal static string CheckIdentity(string value, string name) =>
        IdentityPattern().IsMatch(value) ? value : throw new KeyLogFormatException($"'{name}' is not a Strongroom workload identity");

    internal static string Digest(string value, string name) =>
        StrictBase64.TryDecodeUrl(value, out var bytes) && bytes.Length == 32 ? value : throw new KeyLogFormatException($"'{name}' is not a base64url SHA-256");

    internal static string CheckAlias(string value) =>
        AliasPattern().IsMatch(value) && !KidPattern().IsMatch(value) ? value : throw new KeyLogFormatException("alias must be 1-128 of [A-Za-z0-9._:@/-] and not look like a kid");

    /// <summary>The schema's spelling of an enum value: snake case (<c>destroy_scheduled</c>, <c>studioml_decryption</c>).</summary>
    public static string Snake<T>(T value)
        where T : struct, System.Enum =>
        Regex.Replace(value.ToString(), "(?<=[a-z0-9])([A-Z])", "_$1").ToLowerInvariant().Replace("studio_ml", "studioml", StringComparison.Ordinal);

    internal static T Enum<T>(string value, string name)
        where T : struct, System.Enum
    {
        foreach (var candidate in System.Enum.GetValues<T>())
        {
            if (string.Equals(Snake(candidate), value, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        throw new KeyLogFormatException($"'{name}' has an unknown value");
    }

    /// <summary>Whether <paramref name="value"/> has the shape of an RFC 7638 SHA-256 thumbprint (43 base64url characters).</summary>
    public static bool IsKid(string? value) => value is not null && KidPattern().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    internal static partial Regex KidPattern();

    [GeneratedRegex("^spiffe://strongroom/(kms|keyservice|signer|storage|runner|edge|client/[a-z0-9-]+|operator/[a-z0-9-]+)$")]
    internal static partial Regex IdentityPattern();

    [GeneratedRegex("^[A-Za-z0-9._:@/-]{1,128}$")]
    private static partial Regex AliasPattern();

    internal static string Base64Url(ReadOnlySpan<byte> bytes) => StrictBase64.EncodeUrl(bytes);

    /// <summary>base64url(SHA-256(ASCII of a compact JWS)), how entries name an operator's signed document.</summary>
    public static string DigestOf(string compactJws) =>
        StrictBase64.EncodeUrl(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(compactJws)));

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

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

        var kind = Enum<KeyKind>(Str(obj, "kind"), "kind");
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

/// <summary><c>alias_bound</c>: a foreign name (e.g. a sqooler kid) bound once to a thumbprint kid.</summary>
public sealed record AliasBound : KeyLogEntry
{
    public const string TypeName = "alias_bound";

    public required string Alias { get; init; }

    public required string Kid { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [Kid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["alias"] = Alias;
        obj["kid"] = Kid;
    }

    internal static AliasBound From(JsonObject obj, long time)
    {
        Exactly(obj, "alias", "kid");
        return new AliasBound { Time = time, Alias = CheckAlias(Str(obj, "alias")), Kid = CheckKid(Str(obj, "kid"), "kid") };
    }
}

/// <summary>
/// <c>client_registered</c>: an operator-signed registration. The keys themselves are
/// <c>key_published</c> entries owned by the client; <c>registration_jws_digest</c> names the
/// operator's JWS (base64url SHA-256 of its compact form).
/// </summary>
public sealed record ClientRegistered : KeyLogEntry
{
    public const string TypeName = "client_registered";

    public required string Identity { get; init; }

    public required string SigningKid { get; init; }

    public required string SealingKid { get; init; }

    public required IReadOnlyList<string> Aliases { get; init; }

    public required string RegistrationJwsDigest { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [SigningKid, SealingKid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["identity"] = Identity;
        obj["signing_kid"] = SigningKid;
        obj["sealing_kid"] = SealingKid;
        obj["aliases"] = ToArray(Aliases);
        obj["registration_jws_digest"] = RegistrationJwsDigest;
    }

    internal static ClientRegistered From(JsonObject obj, long time)
    {
        Exactly(obj, "identity", "signing_kid", "sealing_kid", "aliases", "registration_jws_digest");
        var identity = CheckIdentity(Str(obj, "identity"), "identity");
        if (!identity.StartsWith("spiffe://strongroom/client/", StringComparison.Ordinal))
        {
            throw new KeyLogFormatException("'identity' must be a client identity");
        }

        return new ClientRegistered
        {
            Time = time,
            Identity = identity,
            SigningKid = CheckKid(Str(obj, "signing_kid"), "signing_kid"),
            SealingKid = CheckKid(Str(obj, "sealing_kid"), "sealing_kid"),
            Aliases = StrArray(obj, "aliases").Select(CheckAlias).ToList(),
            RegistrationJwsDigest = Digest(Str(obj, "registration_jws_digest"), "registration_jws_digest"),
        };
    }

    public bool Equals(ClientRegistered? other) =>
        other is not null && Time == other.Time && Identity == other.Identity && SigningKid == other.SigningKid
        && SealingKid == other.SealingKid && Aliases.SequenceEqual(other.Aliases) && RegistrationJwsDigest == other.RegistrationJwsDigest;

    public override int GetHashCode() => HashCode.Combine(Identity, SigningKid, SealingKid, Time);
}

/// <summary><c>key_state_changed</c>: a lifecycle change of one key version.</summary>
public sealed record KeyStateChanged : KeyLogEntry
{
    public const string TypeName = "key_state_changed";

    public required string Kid { get; init; }

    public required KeyState State { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [Kid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["kid"] = Kid;
        obj["state"] = Snake(State);
    }

    internal static KeyStateChanged From(JsonObject obj, long time)
    {
        Exactly(obj, "kid", "state");
        return new KeyStateChanged { Time = time, Kid = CheckKid(Str(obj, "kid"), "kid"), State = Enum<KeyState>(Str(obj, "state"), "state") };
    }
}

/// <summary><c>key_version_marked</c>: a version became its key's primary, or its minimum.</summary>
public sealed record KeyVersionMarked : KeyLogEntry
{
    public const string TypeName = "key_version_marked";

    public required string Kid { get; init; }

    public required KeyMark Mark { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [Kid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["kid"] = Kid;
        obj["mark"] = Snake(Mark);
    }

    internal static KeyVersionMarked From(JsonObject obj, long time)
    {
        Exactly(obj, "kid", "mark");
        return new KeyVersionMarked { Time = time, Kid = CheckKid(Str(obj, "kid"), "kid"), Mark = Enum<KeyMark>(Str(obj, "mark"), "mark") };
    }
}

/// <summary><c>client_keys_revoked</c>: an operator-signed revocation of a client's keys.</summary>
public sealed record ClientKeysRevoked : KeyLogEntry
{
    public const string TypeName = "client_keys_revoked";

    public required string Identity { get; init; }

    public required IReadOnlyList<string> RevokedKids { get; init; }

    public required string RevocationJwsDigest { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => RevokedKids;

    protected override void AddMembers(JsonObject obj)
    {
        obj["identity"] = Identity;
        obj["kids"] = ToArray(RevokedKids);
        obj["revocation_jws_digest"] = RevocationJwsDigest;
    }

    internal static ClientKeysRevoked From(JsonObject obj, long time)
    {
        Exactly(obj, "identity", "kids", "revocation_jws_digest");
        var kids = StrArray(obj, "kids").Select(k => CheckKid(k, "kids")).ToList();
        if (kids.Count == 0)
        {
            throw new KeyLogFormatException("'kids' is empty");
        }

        return new ClientKeysRevoked
        {
            Time = time,
            Identity = CheckIdentity(Str(obj, "identity"), "identity"),
            RevokedKids = kids,
            RevocationJwsDigest = Digest(Str(obj, "revocation_jws_digest"), "revocation_jws_digest"),
        };
    }

    public bool Equals(ClientKeysRevoked? other) =>
        other is not null && Time == other.Time && Identity == other.Identity && RevokedKids.SequenceEqual(other.RevokedKids) && RevocationJwsDigest == other.RevocationJwsDigest;

    public override int GetHashCode() => HashCode.Combine(Identity, RevocationJwsDigest, Time);
}

/// <summary><c>audit_anchor</c>: one service's audit-log head, anchored by an operator.</summary>
public sealed record AuditAnchor : KeyLogEntry
{
    public const string TypeName = "audit_anchor";

    public required string Service { get; init; }

    public required long Size { get; init; }

    /// <summary>base64url of the 32-byte chain hash.</summary>
    public required string HeadHash { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [];

    protected override void AddMembers(JsonObject obj)
    {
        obj["service"] = Service;
        obj["size"] = Size;
        obj["head_hash"] = HeadHash;
    }

    internal static AuditAnchor From(JsonObject obj, long time)
    {
        Exactly(obj, "service", "size", "head_hash");
        var size = Int(obj, "size");
        if (size < 0)
        {
            throw new KeyLogFormatException("'size' is negative");
        }

        return new AuditAnchor { Time = time, Service = CheckIdentity(Str(obj, "service"), "service"), Size = size, HeadHash = Digest(Str(obj, "head_hash"), "head_hash") };
    }
}
