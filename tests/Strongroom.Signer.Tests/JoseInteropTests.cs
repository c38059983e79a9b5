using System.Text;
using Google.Protobuf;
using Strongroom.Crypto;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Tests;

/// <summary>A JWS from the signer verifies with the independent `jose` npm package, using only the signer's JWKS; one changed byte anywhere fails.</summary>
public sealed class JoseInteropTests(SignerStack stack) : IClassFixture<SignerStack>
{
    private static readonly byte[] Document = Encoding.UTF8.GetBytes("{\"job\":\"job-1\",\"request_digest\":\"sha256:00\",\"exit\":0}");

    private async Task<string> JwksAsync() => (await stack.Runner.GetJwksAsync(new Api.GetJwksRequest())).JwksJson;

    [Fact]
    public async Task A_compact_JWS_verifies_with_jose_from_the_JWKS_and_carries_the_signer_chosen_header()
    {
        Jose.Require();
        var signed = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFrom(Document) });
        var (ok, output) = Jose.Verify(await JwksAsync(), signed.Jws);
        Assert.True(ok, output.ToJsonString());
        Assert.Equal(Convert.ToHexStringLower(Document), (string)output["payload"]!);
        var header = output["protectedHeader"]!;
        Assert.Equal("EdDSA", (string)header["alg"]!);
        Assert.Equal(signed.Kid, (string)header["kid"]!);
        Assert.Equal("strongroom-result", (string)header["typ"]!);
        Assert.Equal("spiffe://strongroom/runner", (string)header["runner"]!);
        Assert.Equal(signed.IssuedAt, (long)header["iat"]!);
        Assert.Null(header["crit"]);
    }

    [Fact]
    public async Task Flattened_and_detached_serializations_verify_with_jose()
    {
        Jose.Require();
        var jwks = await JwksAsync();
        var flattened = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFrom(Document), Serialization = Api.JwsSerialization.FlattenedJson });
        Assert.True(Jose.Verify(jwks, flattened.Jws).Ok);

        var detached = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFrom(Document), Detached = true });
        Assert.Contains("..", detached.Jws, StringComparison.Ordinal);
        Assert.DoesNotContain("b64", detached.ProtectedHeaderJson, StringComparison.Ordinal);
        Assert.True(Jose.Verify(jwks, detached.Jws, Document).Ok);
        Assert.False(Jose.Verify(jwks, detached.Jws, Encoding.UTF8.GetBytes("{\"job\":\"job-2\"}")).Ok);

        var flatDetached = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFrom(Document), Detached = true, Serialization = Api.JwsSerialization.FlattenedJson });
        Assert.DoesNotContain("payload", flatDetached.Jws, StringComparison.Ordinal);
        Assert.True(Jose.Verify(jwks, flatDetached.Jws, Document).Ok);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Changing_one_byte_of_header_payload_or_signature_fails_with_jose_and_with_the_signer(int segment)
    {
        Jose.Require();
        var jwks = await JwksAsync();
        var signed = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFrom(Document) });
        var parts = signed.Jws.Split('.');
        var bytes = StrictBase64.DecodeUrl(parts[segment]);
        // Flip one decoded byte (not a base64 character, whose low bits may be padding).
        bytes[bytes.Length / 2] ^= 0x01;
        parts[segment] = StrictBase64.EncodeUrl(bytes);
        var tampered = string.Join('.', parts);

        var (ok, output) = Jose.Verify(jwks, tampered);
        Assert.False(ok, "jose accepted a tampered JWS: " + output.ToJsonString());
        var answer = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = tampered });
        Assert.False(answer.Valid);
        Assert.True(Jose.Verify(jwks, signed.Jws).Ok, "the untouched JWS still verifies");
    }
}
