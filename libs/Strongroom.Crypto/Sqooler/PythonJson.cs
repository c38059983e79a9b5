using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Strongroom.Crypto.Sqooler;

/// <summary>
/// Re-serializes a JSON document byte for byte as CPython's <c>json.dumps(json.loads(text))</c> does
/// with default arguments — what sqooler signs. Rules (each checked against CPython in the tests):
/// <list type="bullet">
/// <item>separators <c>", "</c> and <c>": "</c>; <c>[]</c>/<c>{}</c> when empty; members in document order
/// (Python dicts keep insertion order);</item>
/// <item>strings with <c>ensure_ascii</c>: <c>\"</c> <c>\\</c> <c>\n</c> <c>\r</c> <c>\t</c> <c>\b</c> <c>\f</c>;
/// every other UTF-16 code unit outside 0x20–0x7E (control characters, DEL, non-ASCII, each half of
/// a surrogate pair, a lone surrogate) as <c>\uXXXX</c> with lowercase hex; <c>/</c> not escaped;</item>
/// <item>a number token with a fraction or exponent is a Python float and is written as
/// <c>repr(float)</c> (<see cref="FormatFloat"/>); any other token is a Python int, written as is
/// (<c>-0</c> becomes <c>0</c>); ints over 4300 digits are refused, as CPython's json.loads refuses them;</item>
/// <item><c>true</c>, <c>false</c>, <c>null</c>.</item>
/// </list>
/// Where Python would accept what RFC 8259 does not, this refuses instead: <c>NaN</c>/<c>Infinity</c>
/// tokens (rejected by the parser) and float literals that overflow to infinity (Python would write
/// <c>Infinity</c>). A member name twice in one object is refused (Python keeps the first position and
/// the last value; two readers must never disagree about what was signed).
/// </summary>
public static class PythonJson
{
    /// <summary>CPython's default <c>sys.get_int_max_str_digits()</c> (3.11+): longer int literals fail json.loads.</summary>
    public const int MaxIntDigits = 4300;

    /// <summary>Nesting accepted by <see cref="ParseDocument"/> (CPython's own limit is its recursion limit, about 1000).</summary>
    public const int MaxDepth = 128;

    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary><c>json.dumps(value)</c> of the value this element holds. The result is pure ASCII.</summary>
    /// <exception cref="CryptoException"><see cref="CryptoErrorKind.Malformed"/> for the refusals listed on the type.</exception>
    public static string Dumps(JsonElement element)
    {
        var builder = new StringBuilder();
        Write(builder, element, 0);
        return builder.ToString();
    }

    /// <summary>The ASCII bytes of <see cref="Dumps"/>: what sqooler base64url-encodes as the payload.</summary>
    public static byte[] DumpsUtf8(JsonElement element) => Encoding.ASCII.GetBytes(Dumps(element));

    /// <summary>
    /// Python's <c>repr(float)</c>: the shortest digits that round-trip, in fixed notation when the
    /// decimal exponent is in (-4, 16] (<c>0.0001</c>, <c>1234567890123456.0</c>, <c>1.0</c>, <c>-0.0</c>),
    /// otherwise <c>d[.ddd]e±XX</c> with at least two exponent digits (<c>1e-05</c>, <c>1e+16</c>, <c>5e-324</c>).
    /// </summary>
    /// <exception cref="CryptoException">NaN or infinity (refused; see the type).</exception>
    public static string FormatFloat(double value)
    {
        if (!double.IsFinite(value))
        {
            throw CryptoError.Malformed("JSON number (NaN or infinite float)");
        }

        // .NET Core 3.0+ "R" is the shortest round-trip string, like David Gay's mode 0 that CPython uses.
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r[0] == '-';
        ReadOnlySpan<char> text = negative ? r.AsSpan(1) : r.AsSpan();
        int exponent = 0;
        int e = text.IndexOfAny('E', 'e');
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        int dot = text.IndexOf('.');
        int integerDigits = dot >= 0 ? dot : text.Length;
        var digits = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c != '.')
            {
                digits.Append(c);
            }
        }

        // value = 0.d1d2d3... x 10^decimalPoint
        int decimalPoint = integerDigits + exponent;
        int leading = 0;
        while (leading < digits.Length && digits[leading] == '0')
        {
            leading++;
        }

        digits.Remove(0, leading);
        decimalPoint -= leading;
        int end = digits.Length;
        while (end > 0 && digits[end - 1] == '0')
        {
            end--;
        }

        digits.Length = end;
        string sign = negative ? "-" : string.Empty;
        if (digits.Length == 0)
        {
            return sign + "0.0";
        }

        string d = digits.ToString();
        if (decimalPoint <= -4 || decimalPoint > 16)
        {
            int shown = decimalPoint - 1;
            string mantissa = d.Length == 1 ? d : d[..1] + "." + d[1..];
            return sign + mantissa + "e" + (shown < 0 ? "-" : "+") + Math.Abs(shown).ToString("00", CultureInfo.InvariantCulture);
        }

        if (decimalPoint <= 0)
        {
            return sign + "0." + new string('0', -decimalPoint) + d;
        }

        if (decimalPoint >= d.Length)
        {
            return sign + d + new string('0', decimalPoint - d.Length) + ".0";
        }

        return sign + d[..decimalPoint] + "." + d[decimalPoint..];
    }

    /// <summary>
    /// Parses UTF-8 JSON as strictly as the rest of Strongroom (RFC 8259, valid UTF-8, no duplicate
    /// member names, depth at most <see cref="MaxDepth"/>); null when it does not parse.
    /// </summary>
    public static JsonDocument? ParseDocument(ReadOnlyMemory<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            return null;
        }

        // Not JsonStrings.TryParse: Python strings may hold lone surrogates, which json.dumps writes
        // as \udXXX escapes, so they must parse here; only the duplicate-name check's exception is caught.
        try
        {
            return JsonDocument.Parse(utf8, Options);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>UTF-8 of a string that must be well-formed UTF-16 (a lone surrogate is refused, never replaced).</summary>
    internal static byte[]? TryStrictUtf8(string text)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// A string as Python writes it with <c>ensure_ascii=False</c> and as pydantic's
    /// <c>model_dump_json</c> writes it: <c>\"</c> <c>\\</c> <c>\n</c> <c>\r</c> <c>\t</c> <c>\b</c> <c>\f</c>,
    /// other characters below 0x20 as lowercase <c>\u00xx</c>, everything else (DEL, non-ASCII) as is.
    /// </summary>
    internal static void WriteUnicodeString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (char c in value)
        {
            if (!AppendShortEscape(builder, c))
            {
                if (c < 0x20)
                {
                    AppendUnicodeEscape(builder, c);
                }
                else
                {
                    builder.Append(c);
                }
            }
        }

        builder.Append('"');
    }

    /// <summary>A string as <c>json.dumps</c> writes it (<c>ensure_ascii=True</c>), from its UTF-16 code units.</summary>
    internal static void WriteAsciiString(StringBuilder builder, ReadOnlySpan<char> codeUnits)
    {
        builder.Append('"');
        foreach (char c in codeUnits)
        {
            if (!AppendShortEscape(builder, c))
            {
                if (c is < (char)0x20 or > (char)0x7E)
                {
                    AppendUnicodeEscape(builder, c);
                }
                else
                {
                    builder.Append(c);
                }
            }
        }

        builder.Append('"');
    }

    private static bool AppendShortEscape(StringBuilder builder, char c)
    {
        string? escape = c switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\b' => "\\b",
            '\f' => "\\f",
            _ => null,
        };
        if (escape is null)
        {
            return false;
        }

        builder.Append(escape);
        return true;
    }

    private static void AppendUnicodeEscape(StringBuilder builder, char c) =>
        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));

    private static void Write(StringBuilder builder, JsonElement element, int depth)
    {
        if (depth > MaxDepth)
        {
            throw CryptoError.Malformed("JSON (nested too deeply)");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(builder, element, depth);
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                bool firstItem = true;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        builder.Append(", ");
                    }

                    firstItem = false;
                    Write(builder, item, depth + 1);
                }

                builder.Append(']');
                break;
            case JsonValueKind.String:
                WriteAsciiString(builder, StringCodeUnits(RawText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)[1..^1])));
                break;
            case JsonValueKind.Number:
                WriteNumber(builder, element.GetRawText());
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            case JsonValueKind.Null:
                builder.Append("null");
                break;
            default:
                throw CryptoError.Malformed("JSON (undefined value)");
        }
    }

    private static void WriteObject(StringBuilder builder, JsonElement element, int depth)
    {
        builder.Append('{');
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool first = true;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            // Names compared as UTF-16 code units after unescaping (lone surrogates included), as Python compares str keys.
            string name = new(StringCodeUnits(RawText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property))));
            if (!seen.Add(name))
            {
                throw CryptoError.Malformed("JSON (a member name twice in one object)");
            }

            if (!first)
            {
                builder.Append(", ");
            }

            first = false;
            WriteAsciiString(builder, name);
            builder.Append(": ");
            Write(builder, property.Value, depth + 1);
        }

        builder.Append('}');
    }

    private static void WriteNumber(StringBuilder builder, string token)
    {
        bool isFloat = token.AsSpan().IndexOfAny('.', 'e', 'E') >= 0;
        if (isFloat)
        {
            double value = double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(value))
            {
                throw CryptoError.Malformed("JSON number (overflows a float; Python would write Infinity)");
            }

            builder.Append(FormatFloat(value));
            return;
        }

        int digits = token[0] == '-' ? token.Length - 1 : token.Length;
        if (digits > MaxIntDigits)
        {
            throw CryptoError.Malformed("JSON number (int longer than Python's 4300-digit limit)");
        }

        builder.Append(token == "-0" ? "0" : token);
    }

    // System.Text.Json checks the UTF-8 inside strings only when they are read: never replace, refuse.
    private static string RawText(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw CryptoError.Malformed("JSON string (invalid UTF-8)");
        }
    }

    /// <summary>
    /// The UTF-16 code units of a JSON string's raw content (between the quotes, as written in the
    /// validated document), each <c>\u</c> escape one code unit — so a lone surrogate survives, as in Python.
    /// </summary>
    private static char[] StringCodeUnits(string raw)
    {
        var units = new List<char>(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c != '\\')
            {
                units.Add(c);
                continue;
            }

            char kind = raw[++i];
            switch (kind)
            {
                case 'u':
                    units.Add((char)int.Parse(raw.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                case 'n':
                    units.Add('\n');
                    break;
                case 'r':
                    units.Add('\r');
                    break;
                case 't':
                    units.Add('\t');
                    break;
                case 'b':
                    units.Add('\b');
                    break;
                case 'f':
                    units.Add('\f');
                    break;
                default:
                    // '"', '\\', '/': the parser admits no other escapes.
                    units.Add(kind);
                    break;
            }
        }

        return [.. units];
    }
}
