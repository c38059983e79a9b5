using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strongroom.Crypto;

namespace Strongroom.KeyLog;

/// <summary>
/// One key-log entry. Every type has a closed schema (docs/keylog.md): each member required,
/// nothing else allowed, times in integer Unix seconds, binary values unpadded base64url. The bytes
/// hashed into the log are <see cref="ToCanonicalJson"/>, the RFC 8785 form, and
/// <see cref="Parse"/> accepts only that form, so a reader never hashes something it did not check.
/// </summary>
public abstract record KeyLogEntry
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

        var type = EntrySchema.Str(obj, "type");
        var time = EntrySchema.Int(obj, "time");
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

    /// <summary>The schema's spelling of an enum value: snake case (<c>destroy_scheduled</c>, <c>studioml_decryption</c>).</summary>
    public static string Snake<T>(T value)
        where T : struct, System.Enum =>
        Regex.Replace(value.ToString(), "(?<=[a-z0-9])([A-Z])", "_$1").ToLowerInvariant().Replace("studio_ml", "studioml", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="value"/> has the shape of an RFC 7638 SHA-256 thumbprint (43 base64url characters).</summary>
    public static bool IsKid(string? value) => value is not null && EntrySchema.KidPattern().IsMatch(value);

    /// <summary>base64url(SHA-256(ASCII of a compact JWS)), how entries name an operator's signed document.</summary>
    public static string DigestOf(string compactJws) =>
        StrictBase64.EncodeUrl(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(compactJws)));
}
