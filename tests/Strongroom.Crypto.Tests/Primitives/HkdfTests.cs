using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Primitives;

/// <summary>HKDF-SHA256 limits (the Wycheproof file carries the known answers, RFC 5869's included).</summary>
public class HkdfTests
{
    [Fact]
    public void Rfc5869_test_case_1_is_reproduced()
    {
        byte[] prk = HkdfSha256.Extract(Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), Hex("000102030405060708090a0b0c"));
        Assert.Equal("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", ToHex(prk));
        Assert.Equal(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            ToHex(HkdfSha256.Expand(prk, 42, Hex("f0f1f2f3f4f5f6f7f8f9"))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData((255 * 32) + 1)]
    public void Output_lengths_outside_one_to_255_hashes_are_refused(int length)
    {
        Assert.Equal(CryptoErrorKind.LimitExceeded, Assert.Throws<CryptoException>(() => HkdfSha256.DeriveKey([1], length, [], [])).Kind);
        Assert.Equal(CryptoErrorKind.LimitExceeded, Assert.Throws<CryptoException>(() => HkdfSha256.Expand(new byte[32], length, [])).Kind);
    }

    [Fact]
    public void The_maximum_output_length_is_allowed() => Assert.Equal(8160, HkdfSha256.DeriveKey([1], 8160, [], []).Length);

    [Fact]
    public void A_pseudorandom_key_shorter_than_one_hash_is_refused() =>
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => HkdfSha256.Expand(new byte[31], 32, [])).Kind);
}
