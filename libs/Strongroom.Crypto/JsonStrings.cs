using System.Text.Json;

namespace Strongroom.Crypto;

/// <summary>
/// System.Text.Json accepts escapes it cannot unescape (a lone surrogate such as <c>\ud800</c>) and
/// only throws <see cref="InvalidOperationException"/> when the string or member name is read — so
/// a parser that reads members later would crash on such input instead of rejecting it. Every
/// parser of untrusted JSON checks the whole document with this right after parsing.
/// </summary>
public static class JsonStrings
{
    /// <summary>Parses <paramref name="utf8"/>; null when it is not JSON, breaks <paramref name="options"/>, or holds a string or name that cannot be read.</summary>
    public static JsonDocument? TryParse(ReadOnlyMemory<byte> utf8, JsonDocumentOptions options)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, options);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException: the duplicate-name check met a name it cannot unescape.
            return null;
        }

        if (!AllReadable(document.RootElement))
        {
            document.Dispose();
            return null;
        }

        return document;
    }

    /// <summary>True when every member name and string value in <paramref name="element"/> can be read.</summary>
    public static bool AllReadable(JsonElement element)
    {
        try
        {
            return Walk(element);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool Walk(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    if (!Walk(property.Value))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!Walk(item))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.String:
                _ = element.GetString();
                return true;
            default:
                return true;
        }
    }
}
