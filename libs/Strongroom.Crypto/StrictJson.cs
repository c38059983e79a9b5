using System.Text.Json;

namespace Strongroom.Crypto;

/// <summary>
/// The JSON reading rules for key and header documents: RFC 8259 only (valid UTF-8, no comments, no trailing
/// commas), shallow, and no member name twice in any object — two parsers must never disagree
/// about which of two values is meant.
/// </summary>
internal static class StrictJson
{
    internal const int MaxDepth = 8;

    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
    };

    /// <summary>Parses a JSON object; null when it is not strict JSON or not an object.</summary>
    internal static JsonDocument? TryParseObject(ReadOnlyMemory<byte> utf8)
    {
        // System.Text.Json does not check the UTF-8 inside string values until they are read.
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            return null;
        }

        var document = JsonStrings.TryParse(utf8, Options);
        if (document is null)
        {
            return null;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object || !UniqueNames(document.RootElement))
        {
            document.Dispose();
            return null;
        }

        return document;
    }

    // Belt and braces over AllowDuplicateProperties: names are compared after unescaping, ordinally.
    private static bool UniqueNames(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    if (!seen.Add(property.Name) || !UniqueNames(property.Value))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (!UniqueNames(item))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }
}
