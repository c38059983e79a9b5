using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strongroom.Crypto;

namespace Strongroom.KeyLog;

/// <summary>
/// The checks every entry schema is built from (docs/keylog.md): exact member sets, non-empty strings,
/// integers, distinct string arrays, and the shapes of kids, identities, aliases and digests. Each
/// failure is a <see cref="KeyLogFormatException"/>.
/// </summary>
internal static partial class EntrySchema
{
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

    internal static T FromSnake<T>(string value, string name)
        where T : struct, System.Enum
    {
        foreach (var candidate in System.Enum.GetValues<T>())
        {
            if (string.Equals(KeyLogEntry.Snake(candidate), value, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        throw new KeyLogFormatException($"'{name}' has an unknown value");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    internal static partial Regex KidPattern();

    [GeneratedRegex("^spiffe://strongroom/(kms|keyservice|signer|storage|runner|edge|client/[a-z0-9-]+|operator/[a-z0-9-]+)$")]
    internal static partial Regex IdentityPattern();

    [GeneratedRegex("^[A-Za-z0-9._:@/-]{1,128}$")]
    private static partial Regex AliasPattern();
}
