using System.Text;

namespace Strongroom.Crypto.Tests.Primitives;

/// <summary>
/// Oversized base64 fields are refused by their length, before anything is decoded: the bytes a
/// parser allocates for a refused input stay far below the input's size (issue 7, input limits).
/// </summary>
public class InputSizeTests
{
    private const int Huge = 8 * 1024 * 1024;

    [Fact]
    public void A_studioml_wrapped_key_field_longer_than_one_rsa_block_is_refused_without_decoding_it()
    {
        string payload = new string('A', Huge) + "," + Convert.ToBase64String(new byte[40]);

        long before = GC.GetAllocatedBytesForCurrentThread();
        StudioMlPayloadError error = StudioMlPayload.TryParse(payload, out StudioMlPayloadParts? parts);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(StudioMlPayloadError.WrappedKeyLength, error);
        Assert.Null(parts);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated refusing an {Huge}-character field");
    }

    [Fact]
    public void A_studioml_wrapped_key_of_exactly_one_rsa_block_is_still_parsed()
    {
        string key = Convert.ToBase64String(new byte[StudioMlPayload.WrappedKeySize]);

        Assert.Equal(StudioMlPayload.EncodedWrappedKeyLength, key.Length);
        Assert.Equal(StudioMlPayloadError.None, StudioMlPayload.TryParse(key + "," + Convert.ToBase64String(new byte[40]), out _));
        Assert.Equal(StudioMlPayloadError.WrappedKeyLength, StudioMlPayload.TryParse(key + "AAAA," + Convert.ToBase64String(new byte[40]), out _));
    }

    [Fact]
    public void A_jws_whose_protected_header_is_huge_is_malformed_without_decoding_it()
    {
        using var key = Ed25519KeyPair.Generate();
        string jws = new string('e', Huge) + ".e30." + StrictBase64.EncodeUrl(new byte[64]);

        long before = GC.GetAllocatedBytesForCurrentThread();
        JwsVerificationResult result = Jws.VerifyCompact(jws, key.PublicKey);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(JwsVerificationStatus.Malformed, result.Status);
        Assert.Contains("header is larger than", result.Reason, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated refusing an {Huge}-character header");
    }

    [Fact]
    public void A_jws_whose_signature_segment_is_huge_is_malformed_without_decoding_it()
    {
        using var key = Ed25519KeyPair.Generate();
        string jws = Jws.SignCompact(key, "kid", Encoding.UTF8.GetBytes("{}"));
        string forged = jws[..(jws.LastIndexOf('.') + 1)] + new string('A', Huge);

        long before = GC.GetAllocatedBytesForCurrentThread();
        JwsVerificationResult result = Jws.VerifyCompact(forged, key.PublicKey);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(JwsVerificationStatus.Malformed, result.Status);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated refusing an {Huge}-character signature");
        Assert.True(Jws.VerifyCompact(jws, key.PublicKey).IsValid);
    }

    [Fact]
    public void A_jws_header_at_the_size_limit_is_still_read()
    {
        using var key = Ed25519KeyPair.Generate();
        // Pad the header with a member so its segment lands just under the limit; it must verify.
        int padding = (Jws.MaxProtectedHeaderLength * 3 / 4) - 64;
        string jws = Jws.SignCompact(key, "kid", Encoding.UTF8.GetBytes("{}"), new System.Text.Json.Nodes.JsonObject { ["pad"] = new string('p', padding) });

        Assert.True(jws.IndexOf('.', StringComparison.Ordinal) <= Jws.MaxProtectedHeaderLength);
        Assert.True(Jws.VerifyCompact(jws, key.PublicKey).IsValid);
    }
}
