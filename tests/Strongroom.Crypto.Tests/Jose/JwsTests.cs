using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Crypto.Tests.Support;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Jose;

/// <summary>JWS with EdDSA: RFC 8037's vector, our signing profile, and every refusal the verifier makes.</summary>
public class JwsTests
{
    private static readonly Ed25519KeyPair Signer = Ed25519KeyPair.Generate();

    [Fact]
    public void Rfc8037_jws_is_reproduced_byte_for_byte_and_verifies()
    {
        using JsonWebKey jwk = JsonWebKey.Parse(Rfc8037.PrivateJwk);
        using Ed25519KeyPair key = jwk.ToEd25519KeyPair();
        string[] parts = Rfc8037.Compact.Split('.');

        // Our signer always writes a kid, so the RFC's kid-less header is rebuilt by hand here.
        Assert.Equal(Rfc8037.ProtectedHeaderJson, Encoding.UTF8.GetString(StrictBase64.DecodeUrl(parts[0])));
        string signingInput = parts[0] + "." + StrictBase64.EncodeUrl(Utf8(Rfc8037.Payload));
        Assert.Equal(Rfc8037.Compact, signingInput + "." + StrictBase64.EncodeUrl(key.Sign(Encoding.ASCII.GetBytes(signingInput))));

        JwsVerificationResult result = Jws.VerifyCompact(Rfc8037.Compact, jwk.ToEd25519PublicKey());
        Assert.Equal(JwsVerificationStatus.Valid, result.Status);
        Assert.Equal(Utf8(Rfc8037.Payload), result.Payload);
        Assert.Null(result.Kid);
    }

    [Fact]
    public void Signed_compact_jws_carries_alg_kid_then_caller_members_in_order_and_verifies()
    {
        var members = new JsonObject { ["typ"] = "strongroom-result", ["runner"] = "spiffe://strongroom/runner", ["iat"] = 1_763_856_000 };
        string jws = Jws.SignCompact(Signer, "kid-1", Utf8("{\"job\":\"j1\"}"), members);

        string header = Encoding.UTF8.GetString(StrictBase64.DecodeUrl(jws.Split('.')[0]));
        Assert.Equal("""{"alg":"EdDSA","kid":"kid-1","typ":"strongroom-result","runner":"spiffe://strongroom/runner","iat":1763856000}""", header);

        JwsVerificationResult result = Jws.VerifyCompact(jws, kid => kid == "kid-1" ? Signer.PublicKey : null);
        Assert.True(result.IsValid);
        Assert.Equal("kid-1", result.Kid);
        Assert.Equal("strongroom-result", result.ProtectedHeader!.Value.GetProperty("typ").GetString());
        Assert.Equal(Utf8("{\"job\":\"j1\"}"), result.Payload);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(256)]
    [InlineData(1 << 20)]
    public void A_header_made_once_signs_each_payload_exactly_as_signing_it_alone(int payloadLength)
    {
        var members = new JsonObject { ["typ"] = "strongroom-result", ["iat"] = 1_763_856_000 };
        JwsProtectedHeader header = Jws.CreateProtectedHeader("kid-1", members);
        byte[] payload = new byte[payloadLength];
        new Random(payloadLength).NextBytes(payload);

        // Ed25519 is deterministic, so the two paths must agree byte for byte.
        Assert.Equal(Jws.SignCompact(Signer, "kid-1", payload, members), Jws.SignCompact(Signer, header, payload));
        Assert.Equal(Jws.SignCompact(Signer, "kid-1", payload, members, detachedPayload: true), Jws.SignCompact(Signer, header, payload, detachedPayload: true));
        Assert.Equal(header.Json, Encoding.UTF8.GetString(StrictBase64.DecodeUrl(header.Segment)));
        Assert.Equal(JwsVerificationStatus.Valid, Jws.VerifyCompact(Jws.SignCompact(Signer, header, payload), Signer.PublicKey).Status);
    }

    [Fact]
    public void Detached_jws_has_an_empty_payload_segment_and_verifies_only_with_the_same_payload()
    {
        byte[] payload = Utf8("result document");
        string jws = Jws.SignCompact(Signer, "k", payload, detachedPayload: true);
        Assert.Equal(string.Empty, jws.Split('.')[1]);
        Assert.DoesNotContain("b64", Encoding.UTF8.GetString(StrictBase64.DecodeUrl(jws.Split('.')[0])), StringComparison.Ordinal);

        Assert.Equal(JwsVerificationStatus.Valid, Jws.VerifyCompact(jws, Signer.PublicKey, detachedPayload: payload).Status);
        Assert.Equal(JwsVerificationStatus.InvalidSignature, Jws.VerifyCompact(jws, Signer.PublicKey, detachedPayload: Utf8("other document")).Status);
        Assert.Equal(JwsVerificationStatus.InvalidSignature, Jws.VerifyCompact(jws, Signer.PublicKey).Status);

        string attached = Jws.SignCompact(Signer, "k", payload);
        Assert.Equal(JwsVerificationStatus.Malformed, Jws.VerifyCompact(attached, Signer.PublicKey, detachedPayload: payload).Status);
    }

    [Fact]
    public void Flattened_json_serialization_signs_and_verifies_attached_and_detached()
    {
        byte[] payload = Utf8("{\"a\":1}");
        string flattened = Jws.SignFlattened(Signer, "k", payload, new JsonObject { ["typ"] = "strongroom-config" });
        JsonNode node = JsonNode.Parse(flattened)!;
        Assert.Equal(["protected", "payload", "signature"], node.AsObject().Select(p => p.Key));
        Assert.Equal(payload, Jws.VerifyFlattened(flattened, Signer.PublicKey).Payload);

        string detached = Jws.SignFlattened(Signer, "k", payload, detachedPayload: true);
        Assert.Null(JsonNode.Parse(detached)!["payload"]);
        Assert.True(Jws.VerifyFlattened(detached, Signer.PublicKey, detachedPayload: payload).IsValid);

        node["header"] = new JsonObject { ["kid"] = "k" };
        Assert.Equal(JwsVerificationStatus.HeaderRejected, Jws.VerifyFlattened(node.ToJsonString(), Signer.PublicKey).Status);
        Assert.Equal(JwsVerificationStatus.Malformed, Jws.VerifyFlattened("{\"protected\":1}", Signer.PublicKey).Status);
    }

    public static TheoryData<string, JwsVerificationStatus> RejectedHeaders => new()
    {
        { """{"alg":"none","kid":"k"}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"HS256","kid":"k"}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"ES256","kid":"k"}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"eddsa","kid":"k"}""", JwsVerificationStatus.HeaderRejected },
        { """{"kid":"k"}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":["EdDSA"],"kid":"k"}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","jku":"https://attacker.example/jwks"}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","x5u":"https://attacker.example/cert"}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","x5c":["MIIB"]}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","crit":["exp"],"exp":1}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","crit":["b64"],"b64":false}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","b64":true}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","crit":[]}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","crit":"exp","exp":1}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":7}""", JwsVerificationStatus.HeaderRejected },
        { """{"alg":"EdDSA","kid":"k","alg":"EdDSA"}""", JwsVerificationStatus.Malformed },
        { """{"alg":"EdDSA","kid":"k","typ":"a","typ":"b"}""", JwsVerificationStatus.Malformed },
        { """{"alg":"EdDSA","kid":"k",}""", JwsVerificationStatus.Malformed },
        { """{"alg":"EdDSA",/*x*/"kid":"k"}""", JwsVerificationStatus.Malformed },
        { """["alg","EdDSA"]""", JwsVerificationStatus.Malformed },
        { "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"typ\":\"\xff\"}", JwsVerificationStatus.Malformed },
    };

    [Theory]
    [MemberData(nameof(RejectedHeaders))]
    public void Verifier_refuses_headers_outside_the_policy_even_with_a_good_signature(string headerJson, JwsVerificationStatus expected)
    {
        string jws = SignWithRawHeader(Encoding.Latin1.GetBytes(headerJson), Utf8("payload"));
        JwsVerificationResult result = Jws.VerifyCompact(jws, Signer.PublicKey);
        Assert.Equal(expected, result.Status);
        Assert.Null(result.Payload);
    }

    [Fact]
    public void Crit_naming_a_member_the_caller_understands_is_accepted_but_b64_never_is()
    {
        string jws = SignWithRawHeader(Utf8("""{"alg":"EdDSA","kid":"k","crit":["urn:strongroom:ext"],"urn:strongroom:ext":1}"""), Utf8("p"));
        Assert.Equal(JwsVerificationStatus.HeaderRejected, Jws.VerifyCompact(jws, Signer.PublicKey).Status);
        Assert.Equal(JwsVerificationStatus.Valid, Jws.VerifyCompact(jws, Signer.PublicKey, understoodCriticalMembers: ["urn:strongroom:ext"]).Status);

        string b64 = SignWithRawHeader(Utf8("""{"alg":"EdDSA","kid":"k","crit":["b64"],"b64":true}"""), Utf8("p"));
        Assert.Equal(JwsVerificationStatus.HeaderRejected, Jws.VerifyCompact(b64, Signer.PublicKey, understoodCriticalMembers: ["b64"]).Status);

        string missing = SignWithRawHeader(Utf8("""{"alg":"EdDSA","kid":"k","crit":["urn:strongroom:ext"]}"""), Utf8("p"));
        Assert.Equal(JwsVerificationStatus.HeaderRejected, Jws.VerifyCompact(missing, Signer.PublicKey, understoodCriticalMembers: ["urn:strongroom:ext"]).Status);
    }

    [Fact]
    public void Changing_one_byte_of_header_payload_or_signature_gives_an_invalid_signature()
    {
        byte[] header = Utf8("""{"alg":"EdDSA","kid":"k","typ":"strongroom-result"}""");
        byte[] payload = Utf8("{\"exit\":0}");
        string jws = SignWithRawHeader(header, payload);
        string[] parts = jws.Split('.');
        Assert.True(Jws.VerifyCompact(jws, Signer.PublicKey).IsValid);

        byte[] otherHeader = Utf8("""{"alg":"EdDSA","kid":"k","typ":"strongroom-resulu"}""");
        string alteredHeader = StrictBase64.EncodeUrl(otherHeader) + "." + parts[1] + "." + parts[2];
        string alteredPayload = parts[0] + "." + StrictBase64.EncodeUrl(Flip(payload, 3)) + "." + parts[2];
        string alteredSignature = parts[0] + "." + parts[1] + "." + StrictBase64.EncodeUrl(Flip(StrictBase64.DecodeUrl(parts[2]), 10));

        foreach (string altered in new[] { alteredHeader, alteredPayload, alteredSignature })
        {
            JwsVerificationResult result = Jws.VerifyCompact(altered, Signer.PublicKey);
            Assert.Equal(JwsVerificationStatus.InvalidSignature, result.Status);
            Assert.False(result.IsValid);
            Assert.Null(result.Payload);
        }
    }

    [Fact]
    public void Encodings_other_than_canonical_unpadded_base64url_are_malformed()
    {
        string jws = Jws.SignCompact(Signer, "k", Utf8("payload bytes!"));
        string[] p = jws.Split('.');
        string[] malformed =
        [
            p[0] + "=." + p[1] + "." + p[2],
            p[0] + "." + p[1] + "==." + p[2],
            p[0] + "." + p[1] + "." + p[2] + "==",
            p[0] + " ." + p[1] + "." + p[2],
            p[0] + "." + p[1] + ".\n" + p[2],
            p[0].Replace('-', '+').Replace('_', '/') + "x." + p[1] + "." + p[2],
            p[0] + "." + p[1],
            p[0] + "." + p[1] + "." + p[2] + ".",
            p[0] + "." + p[1] + "." + p[2][..^2],
            p[0] + "." + p[1] + "." + string.Empty,
            string.Empty,
            "..",
        ];
        foreach (string candidate in malformed)
        {
            Assert.Equal(JwsVerificationStatus.Malformed, Jws.VerifyCompact(candidate, Signer.PublicKey).Status);
        }

        Assert.True(Jws.VerifyCompact(jws, Signer.PublicKey).IsValid);
    }

    [Fact]
    public void Unknown_kid_and_wrong_key_are_answers_not_exceptions()
    {
        string jws = Jws.SignCompact(Signer, "known", Utf8("x"));
        Assert.Equal(JwsVerificationStatus.UnknownKey, Jws.VerifyCompact(jws, _ => null).Status);
        using var other = Ed25519KeyPair.Generate();
        Assert.Equal(JwsVerificationStatus.InvalidSignature, Jws.VerifyCompact(jws, other.PublicKey).Status);
    }

    [Theory]
    [InlineData("alg")]
    [InlineData("kid")]
    [InlineData("jwk")]
    [InlineData("jku")]
    [InlineData("x5c")]
    [InlineData("x5u")]
    [InlineData("crit")]
    [InlineData("b64")]
    public void Signer_refuses_header_members_it_owns_or_never_writes(string member)
    {
        var error = Assert.Throws<CryptoException>(() => Jws.SignCompact(Signer, "k", [], new JsonObject { [member] = "x" }));
        Assert.Equal(CryptoErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void Stock_jose_library_verifies_our_compact_and_detached_jws_from_our_jwks()
    {
        NodeScript.RequirePackages("jose");
        using JsonWebKey jwk = JsonWebKey.FromPublicKey(Signer.PublicKey);
        var jwks = new JsonObject { ["keys"] = new JsonArray(JsonNode.Parse(jwk.ToJson())) };
        byte[] payload = Utf8("{\"job\":\"interop\"}");

        string jws = Jws.SignCompact(Signer, jwk.Kid!, payload, new JsonObject { ["typ"] = "strongroom-result", ["iat"] = 1 });
        JsonNode verified = NodeScript.Run("jose-interop.mjs", "verify", new JsonObject { ["jwks"] = jwks, ["jws"] = jws });
        Assert.Equal(ToHex(payload), (string)verified["payload"]!);
        Assert.Equal("strongroom-result", (string)verified["protectedHeader"]!["typ"]!);

        string detached = Jws.SignCompact(Signer, jwk.Kid!, payload, detachedPayload: true);
        JsonNode verifiedDetached = NodeScript.Run("jose-interop.mjs", "verify", new JsonObject { ["jwks"] = jwks.DeepClone(), ["jws"] = detached, ["detachedPayload"] = ToHex(payload) });
        Assert.Equal(ToHex(payload), (string)verifiedDetached["payload"]!);
    }

    [Fact]
    public void Jws_signed_by_the_stock_jose_library_verifies_here()
    {
        NodeScript.RequirePackages("jose");
        JsonNode signed = NodeScript.Run("jose-interop.mjs", "sign", new JsonObject
        {
            ["jwk"] = JsonNode.Parse(Rfc8037.PrivateJwk),
            ["header"] = new JsonObject { ["alg"] = "EdDSA", ["kid"] = Rfc8037.Thumbprint },
            ["payload"] = ToHex(Utf8("from jose")),
        });
        using JsonWebKey jwk = JsonWebKey.Parse(Rfc8037.PublicJwk);
        JwsVerificationResult result = Jws.VerifyCompact((string)signed["jws"]!, jwk.ToEd25519PublicKey());
        Assert.True(result.IsValid);
        Assert.Equal(Rfc8037.Thumbprint, result.Kid);
        Assert.Equal(Utf8("from jose"), result.Payload);
    }

    /// <summary>Signs an arbitrary header (bypassing our signer's rules) to test the verifier alone.</summary>
    private static string SignWithRawHeader(byte[] headerJson, byte[] payload)
    {
        string input = StrictBase64.EncodeUrl(headerJson) + "." + StrictBase64.EncodeUrl(payload);
        return input + "." + StrictBase64.EncodeUrl(Signer.Sign(Encoding.ASCII.GetBytes(input)));
    }
}
