using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Crypto.Sqooler;

namespace Strongroom.Crypto.Tests.Sqooler;

/// <summary>
/// <see cref="PythonJson"/> against CPython itself: every expected string below is produced at test
/// time by <c>json.dumps</c> / <c>repr</c> in python3, and compared byte for byte.
/// </summary>
public class PythonJsonTests
{
    /// <summary>Floats: each token is parsed by Python as a float (fraction or exponent present).</summary>
    private static readonly string[] FloatTokens =
    [
        "0.1", "1.0", "1e-7", "1E-7", "1e16", "1e22", "123456789.123456789", "-0.0", "0.0", "5e-324",
        "1.7976931348623157e308", "2.2250738585072014e-308", "1e5", "1E+5", "1.5e300", "-1.5e-300",
        "0.0001", "0.00001", "1234567890123456.0", "12345678901234567.0", "9007199254740993.0", "1e15", "1e17",
        "0.3", "2.675", "100.0", "1.1", "-2.5", "3.141592653589793", "0.1e1", "10.0e-1", "1e-4", "1e-5",
        "9.999999999999999e22", "4.35", "123e-20", "0.000123", "1.0e+16", "9999999999999998.0", "1e16",
        "4.9406564584124654e-324", "8.98846567431158e307", "0.30000000000000004", "7.0e-10",
    ];

    /// <summary>Ints: Python keeps them exact however long (below its 4300-digit limit).</summary>
    private static readonly string[] IntTokens =
    [
        "0", "-0", "1", "-1", "9007199254740993", "123456789012345678901234567890", "-99999999999999999999999999",
        "18446744073709551616",
    ];

    /// <summary>Strings: escapes, non-ASCII, astral characters, lone surrogates written as escapes.</summary>
    private static readonly string[] StringTokens =
    [
        "\"\"", "\"plain\"", "\"é\"", "\"日本\"", "\"😀\"", "\"\\ud83d\\ude00\"", "\"\\u00E9\"", "\"\\u00e9\"",
        "\"quote \\\" backslash \\\\ slash / escaped \\/\"", "\"\\n\\r\\t\\b\\f\"", "\"\\u0000\\u0001\\u001f\\u007f\"",
        "\"del \u007f\"", "\"\\ud800 lone high\"", "\"lone low \\udfff\"", "\"\\udfff\\ud800 reversed\"",
        "\"\u2028\u2029 separators\"", "\"\ufeff bom \uffff\"", "\"<script>&'\"", "\"tab\\u0009\"", "\"Ω≈ç√∫ 𝄞 \U0010FFFF\"",
    ];

    /// <summary>Documents: key order, nesting, empty containers, mixed values.</summary>
    private static readonly string[] Documents =
    [
        "{}", "[]", "{\"a\":{}}", "[[],{}]", "null", "true", "false",
        "{\"z\": 1, \"a\": 2, \"m\": 3}",
        "{\"b\":{\"y\":1,\"x\":[3,2,1]},\"a\":null}",
        "{\"10\": 1, \"9\": 2, \"\": 3, \"é\": 4, \"E\": 5, \"e\": 6}",
        "  {\n \"spaced\" :\t[ 1 , 2.0 , \"three\" ] }  ",
        "{\"nested\":[{\"a\":[{\"b\":[1e16,{\"c\":\"é\"}]}]}]}",
        "{\"k\\u00e9y\": \"v\", \"k\\\"q\": \"\\\\\", \"\\ud83d\\ude00\": [true, false, null]}",
        "{\"results\":[{\"header\":{\"name\":\"experiment_0\",\"extra metadata\":\"text\"},\"shots\":3,\"success\":true,\"data\":{\"memory\":[\"1 0 1\",\"0 1 1\"]}}]}",
    ];

    [Fact]
    public void Floats_match_cpython_json_dumps()
    {
        AssertMatchesCPython([.. FloatTokens, "[" + string.Join(",", FloatTokens) + "]"]);
    }

    [Fact]
    public void Ints_match_cpython_json_dumps_including_one_at_the_digit_limit()
    {
        AssertMatchesCPython([.. IntTokens, new string('7', PythonJson.MaxIntDigits), "-" + new string('7', PythonJson.MaxIntDigits)]);
    }

    [Fact]
    public void Strings_match_cpython_json_dumps()
    {
        AssertMatchesCPython(StringTokens);
    }

    [Fact]
    public void Documents_keep_key_order_and_match_cpython_json_dumps()
    {
        AssertMatchesCPython(Documents);
        Assert.Equal("{\"z\": 1, \"a\": 2, \"m\": 3}", Dumps("{\"z\":1,\"a\":2,\"m\":3}"));
    }

    [Fact]
    public void Every_bmp_code_unit_and_some_astral_characters_match_cpython()
    {
        var text = new StringBuilder("\"");
        for (int c = 0; c < 0x10000; c++)
        {
            // Every code unit, as an escape (surrogates included, paired or not) ...
            text.Append(CultureInfo.InvariantCulture, $"\\u{c:x4}");
            if (c is >= 0x20 and (< 0xD800 or >= 0xE000) and not '"' and not '\\')
            {
                // ... and as a raw character where JSON allows one.
                text.Append((char)c);
            }
        }

        text.Append("😀🎉\U0001F9D1\u200D\U0001F52C\U00010000\U0010FFFF\"");
        AssertMatchesCPython([text.ToString()]);
    }

    [Fact]
    public void Random_doubles_format_as_cpython_repr()
    {
        var random = new Random(20261123);
        var values = new List<double> { double.Epsilon, double.MaxValue, double.MinValue, -double.Epsilon, 1.0 / 3, 2.0 / 3 };
        Span<byte> bits = stackalloc byte[8];
        while (values.Count < 3000)
        {
            random.NextBytes(bits);
            double value = BitConverter.ToDouble(bits);
            if (double.IsFinite(value))
            {
                values.Add(value);
            }
        }

        // Powers of two (asymmetric rounding intervals) and powers of ten around the notation switch.
        for (int e = -1074; e <= 1023; e += 7)
        {
            values.Add(Math.ScaleB(1.0, e));
        }

        for (int e = -330; e <= 308; e++)
        {
            values.Add(double.Parse("1e" + e.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        }

        string[] tokens = [.. values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))];
        (string? Out, string? Error)[] expected = CPython.Ask([.. tokens.Select(t => ("repr", t))]);
        for (int i = 0; i < values.Count; i++)
        {
            Assert.Equal(expected[i].Out, PythonJson.FormatFloat(values[i]));
        }
    }

    [Fact]
    public void Output_is_ascii_and_reparses_to_the_same_value()
    {
        string dumped = Dumps("{\"é\": \"日本 😀\", \"f\": [1e16, 5e-324, -0.0]}");
        Assert.True(Ascii.IsValid(dumped));
        Assert.Equal(dumped, Dumps(dumped));
    }

    [Theory]
    [InlineData("1e400")] // Python: Infinity (refused: not JSON)
    [InlineData("-1e400")] // Python: -Infinity
    [InlineData("{\"a\": 1, \"a\": 2}")] // Python keeps the first position and the last value
    public void Values_python_would_serialize_differently_from_what_json_means_are_refused(string document)
    {
        using JsonDocument parsed = JsonDocument.Parse(document, new JsonDocumentOptions { AllowDuplicateProperties = true });
        CryptoException error = Assert.Throws<CryptoException>(() => PythonJson.Dumps(parsed.RootElement));
        Assert.Equal(CryptoErrorKind.Malformed, error.Kind);
    }

    [Fact]
    public void Ints_over_the_cpython_digit_limit_are_refused_as_cpython_refuses_them()
    {
        string tooLong = new('7', PythonJson.MaxIntDigits + 1);
        (string? Out, string? Error)[] python = CPython.Ask([("dumps", tooLong)]);
        Assert.Null(python[0].Out);
        Assert.Contains("4300", python[0].Error, StringComparison.Ordinal);

        using JsonDocument parsed = JsonDocument.Parse(tooLong);
        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => PythonJson.Dumps(parsed.RootElement)).Kind);
    }

    [Fact]
    public void Non_json_tokens_and_duplicates_do_not_parse_strictly()
    {
        foreach (string document in new[] { "NaN", "[Infinity]", "{\"a\":1,\"a\":1}", "[1,]", "// c\n1", "{\"a\":01}" })
        {
            Assert.Null(PythonJson.ParseDocument(Encoding.UTF8.GetBytes(document)));
        }

        Assert.Null(PythonJson.ParseDocument(new byte[] { (byte)'"', 0xC3, (byte)'"' }));
        Assert.Null(PythonJson.ParseDocument(Encoding.UTF8.GetBytes(new string('[', PythonJson.MaxDepth + 1) + new string(']', PythonJson.MaxDepth + 1))));
    }

    [Fact]
    public void Format_float_refuses_nan_and_infinity()
    {
        Assert.Throws<CryptoException>(() => PythonJson.FormatFloat(double.NaN));
        Assert.Throws<CryptoException>(() => PythonJson.FormatFloat(double.PositiveInfinity));
        Assert.Throws<CryptoException>(() => PythonJson.FormatFloat(double.NegativeInfinity));
    }

    private static void AssertMatchesCPython(string[] documents)
    {
        string[] expected = CPython.Dumps(documents);
        for (int i = 0; i < documents.Length; i++)
        {
            byte[] ours = PythonJson.DumpsUtf8(Parse(documents[i]).RootElement);
            Assert.True(
                Encoding.ASCII.GetBytes(expected[i]).AsSpan().SequenceEqual(ours),
                $"document {i}: CPython {expected[i]} / ours {Encoding.ASCII.GetString(ours)}");
        }
    }

    private static string Dumps(string document)
    {
        using JsonDocument parsed = Parse(document);
        return PythonJson.Dumps(parsed.RootElement);
    }

    private static JsonDocument Parse(string document) =>
        PythonJson.ParseDocument(Encoding.UTF8.GetBytes(document)) ?? throw new InvalidOperationException("does not parse: " + document);
}
