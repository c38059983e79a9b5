using System.Text;

namespace Strongroom.KeyLog.Tests;

/// <summary>RFC 8785's own examples where they fall inside our schemas, and the refusals outside them.</summary>
public sealed class CanonicalJsonTests
{
    private static string Canon(string json) => Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void The_rfc_8785_sorting_example_sorts_by_utf16_code_units()
    {
        // RFC 8785 §3.2.3.
        var input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
        Assert.Equal(expected, Canon(input));
    }

    [Fact]
    public void The_rfc_8785_string_example_keeps_only_the_required_escapes()
    {
        // RFC 8785 §3.2.2.2 (the "string" member of the §3.2.2 example).
        var input = "{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"}";
        Assert.Equal("{\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}", Canon(input));
    }

    [Fact]
    public void Whitespace_is_removed_and_nested_objects_are_sorted_too()
    {
        Assert.Equal("{\"a\":[1,{\"x\":true,\"y\":false}],\"b\":-7}", Canon("{ \"b\" : -7, \"a\" : [ 1 , { \"y\":false, \"x\":true } ] }"));
    }

    [Theory]
    [InlineData("{\"numbers\":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}")]
    [InlineData("{\"n\":1.0}")]
    [InlineData("{\"n\":1e0}")]
    [InlineData("{\"n\":9007199254740992}")]
    [InlineData("{\"literals\":[null,true,false]}")]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"a\":\"\\ud800\"}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("null")]
    public void Floats_nulls_duplicates_lone_surrogates_and_loose_syntax_are_refused(string json)
    {
        Assert.Throws<KeyLogFormatException>(() => CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        Assert.Throws<KeyLogFormatException>(() => CanonicalJson.Canonicalize([(byte)'"', 0xC3, 0x28, (byte)'"']));
    }

    [Fact]
    public void Is_canonical_is_true_only_for_the_exact_canonical_bytes()
    {
        Assert.True(CanonicalJson.IsCanonical("{\"a\":1,\"b\":\"x\"}"u8));
        Assert.False(CanonicalJson.IsCanonical("{\"b\":\"x\",\"a\":1}"u8));
        Assert.False(CanonicalJson.IsCanonical("{\"a\": 1}"u8));
        Assert.False(CanonicalJson.IsCanonical("{\"a\":\"\\u0041\"}"u8));
    }
}
