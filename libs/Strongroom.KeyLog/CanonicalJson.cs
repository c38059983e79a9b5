using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strongroom.KeyLog;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme for the key log's closed schemas: objects, arrays,
/// strings, booleans and integers only. Floats (any fraction or exponent), null, duplicate member
/// names, invalid UTF-8 and lone surrogates are refused, so every accepted document has exactly one
/// canonical form that any RFC 8785 implementation reproduces.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Integers must be exact in IEEE-754 doubles (RFC 8785 §3.2.2.3 serializes numbers as doubles).</summary>
    public const long MaxSafeInteger = 9007199254740991;

    private const int MaxDepth = 16;

    /// <summary>Parses <paramref name="utf8"/> under the rules above and returns its canonical bytes.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8) => Serialize(Parse(utf8));

    /// <summary>True when <paramref name="utf8"/> is already exactly its own canonical form.</summary>
    public static bool IsCanonical(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return Canonicalize(utf8).AsSpan().SequenceEqual(utf8);
        }
        catch (KeyLogFormatException)
        {
            return false;
        }
    }

    /// <summary>Parses strict JSON into a node tree (refusing what the canonical form cannot carry).</summary>
    public static JsonNode Parse(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new KeyLogFormatException("JSON is not valid UTF-8");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions
            {
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
                MaxDepth = MaxDepth,
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException)
        {
            throw new KeyLogFormatException("not strict JSON (syntax, depth or a duplicate member name)");
        }

        if (node is null)
        {
            throw new KeyLogFormatException("null is outside the key log's schemas");
        }

        try
        {
            Check(node);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to read a string holding an escaped lone surrogate.
            throw new KeyLogFormatException("lone surrogate in a string");
        }

        return node;
    }

    /// <summary>Serializes a node tree canonically (RFC 8785 §3.2): sorted members, minimal escapes, integers.</summary>
    public static byte[] Serialize(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var builder = new StringBuilder();
        Write(node, builder, 0);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void Check(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (name, value) in obj)
                {
                    CheckString(name);
                    if (!seen.Add(name))
                    {
                        throw new KeyLogFormatException("duplicate member name");
                    }

                    if (value is null)
                    {
                        throw new KeyLogFormatException("null is outside the key log's schemas");
                    }

                    Check(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is null)
                    {
                        throw new KeyLogFormatException("null is outside the key log's schemas");
                    }

                    Check(item);
                }

                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        CheckString(value.GetValue<string>());
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        break;
                    case JsonValueKind.Number:
                        _ = IntegerOf(value);
                        break;
                    default:
                        throw new KeyLogFormatException("value kind outside the key log's schemas");
                }

                break;
            default:
                throw new KeyLogFormatException("value kind outside the key log's schemas");
        }
    }

    /// <summary>The integer a number node holds; refuses anything written with a fraction or exponent.</summary>
    internal static long IntegerOf(JsonValue value)
    {
        // A parsed number keeps its text: "1.0" and "1e0" are floats here even though they are whole.
        var text = value.ToJsonString();
        if (text.AsSpan().IndexOfAny(".eE") >= 0)
        {
            throw new KeyLogFormatException("floats are outside the key log's schemas (integers only)");
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            || number > MaxSafeInteger || number < -MaxSafeInteger)
        {
            throw new KeyLogFormatException("integer out of the exactly representable range");
        }

        return number;
    }

    private static void CheckString(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw new KeyLogFormatException("lone surrogate in a string");
            }
        }
    }

    private static void Write(JsonNode node, StringBuilder output, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new KeyLogFormatException("nested too deeply");
        }

        switch (node)
        {
            case JsonObject obj:
                // RFC 8785 §3.2.3: member names sorted by their UTF-16 code units.
                var members = obj.Select(p => (p.Key, p.Value)).ToList();
                members.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
                output.Append('{');
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Append(',');
                    }

                    if (i > 0 && string.Equals(members[i].Key, members[i - 1].Key, StringComparison.Ordinal))
                    {
                        throw new KeyLogFormatException("duplicate member name");
                    }

                    WriteString(members[i].Key, output);
                    output.Append(':');
                    Write(members[i].Value ?? throw new KeyLogFormatException("null is outside the key log's schemas"), output, depth + 1);
                }

                output.Append('}');
                break;
            case JsonArray array:
                output.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Append(',');
                    }

                    Write(array[i] ?? throw new KeyLogFormatException("null is outside the key log's schemas"), output, depth + 1);
                }

                output.Append(']');
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        var text = value.GetValue<string>();
                        CheckString(text);
                        WriteString(text, output);
                        break;
                    case JsonValueKind.True:
                        output.Append("true");
                        break;
                    case JsonValueKind.False:
                        output.Append("false");
                        break;
                    case JsonValueKind.Number:
                        output.Append(IntegerOf(value).ToString(CultureInfo.InvariantCulture));
                        break;
                    default:
                        throw new KeyLogFormatException("value kind outside the key log's schemas");
                }

                break;
            default:
                throw new KeyLogFormatException("value kind outside the key log's schemas");
        }
    }

    // RFC 8785 §3.2.2.2: escape only '"', '\\' and control characters; the five with short forms use
    // them, the rest \u00xx in lower-case hex. Everything else is written as is (UTF-8).
    private static void WriteString(string text, StringBuilder output)
    {
        CheckString(text);
        output.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case '\b':
                    output.Append("\\b");
                    break;
                case '\f':
                    output.Append("\\f");
                    break;
                case '\n':
                    output.Append("\\n");
                    break;
                case '\r':
                    output.Append("\\r");
                    break;
                case '\t':
                    output.Append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        output.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }

                    break;
            }
        }

        output.Append('"');
    }
}

/// <summary>A key-log document or proof that breaks the format: a caller's error, never an internal one.</summary>
public sealed class KeyLogFormatException : Exception
{
    public KeyLogFormatException()
    {
    }

    public KeyLogFormatException(string message)
        : base(message)
    {
    }

    public KeyLogFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
