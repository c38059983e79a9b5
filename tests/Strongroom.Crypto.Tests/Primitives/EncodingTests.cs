using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Primitives;

/// <summary>The strict base64 codecs and the small helpers.</summary>
public class EncodingTests
{
    [Fact]
    public void Every_length_round_trips_through_both_alphabets()
    {
        for (int length = 0; length < 40; length++)
        {
            byte[] data = SecureRandom.GetBytes(length);
            Assert.Equal(data, StrictBase64.DecodeUrl(StrictBase64.EncodeUrl(data)));
            Assert.Equal(data, StrictBase64.Decode(StrictBase64.Encode(data)));
            Assert.DoesNotContain('=', StrictBase64.EncodeUrl(data));
        }
    }

    [Theory]
    [InlineData("QQ==", true)]
    [InlineData("QR==", false)]
    [InlineData("QUI=", true)]
    [InlineData("QUJ=", false)]
    [InlineData("QQ", false)]
    [InlineData("QQ=", false)]
    [InlineData("QQ===", false)]
    [InlineData("Q===", false)]
    [InlineData("QQ==QQ==", false)]
    [InlineData("Q Q==", false)]
    [InlineData("QQ==\n", false)]
    [InlineData("-_8=", false)]
    [InlineData("+/8=", true)]
    [InlineData("", true)]
    public void Standard_base64_accepts_only_canonical_padded_text(string text, bool accepted) =>
        Assert.Equal(accepted, StrictBase64.TryDecode(text, out _));

    [Theory]
    [InlineData("QQ", true)]
    [InlineData("QR", false)]
    [InlineData("QQ==", false)]
    [InlineData("Q", false)]
    [InlineData("-_8", true)]
    [InlineData("+/8", false)]
    [InlineData("QUJD\t", false)]
    [InlineData("QU JD", false)]
    [InlineData("QUJDé", false)]
    public void Base64url_accepts_only_canonical_unpadded_text(string text, bool accepted) =>
        Assert.Equal(accepted, StrictBase64.TryDecodeUrl(text, out _));

    [Theory]
    [InlineData("QQ", true)]
    [InlineData("QQ==", true)]
    [InlineData("QQ=", false)]
    [InlineData("QR==", false)]
    [InlineData("QUI=", true)]
    public void Sqooler_base64url_takes_correct_padding_or_none(string text, bool accepted) =>
        Assert.Equal(accepted, StrictBase64.TryDecodeUrlOptionalPadding(text, out _));

    [Fact]
    public void Decode_failures_are_malformed() =>
        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => StrictBase64.DecodeUrl("a=")).Kind);

    [Fact]
    public void Constant_time_helpers_compare_whole_values()
    {
        Assert.True(ConstantTime.AreEqual(Utf8("abc"), Utf8("abc")));
        Assert.False(ConstantTime.AreEqual(Utf8("abc"), Utf8("abd")));
        Assert.False(ConstantTime.AreEqual(Utf8("abc"), Utf8("ab")));
        Assert.True(ConstantTime.IsAllZero(new byte[32]));
        Assert.True(ConstantTime.IsAllZero([]));
        Assert.False(ConstantTime.IsAllZero(Flip(new byte[32], 31)));
    }

    [Fact]
    public void Secure_random_fills_the_requested_length_and_refuses_negative_counts()
    {
        Assert.Equal(64, SecureRandom.GetBytes(64).Length);
        Assert.NotEqual(SecureRandom.GetBytes(32), SecureRandom.GetBytes(32));
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => SecureRandom.GetBytes(-1)).Kind);
    }
}
