using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Crypto.Sqooler;
using Strongroom.Testing;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Sqooler;

/// <summary>sqooler's signed-result dicts (DESIGN 3.4): the fixtures, and documents beyond them.</summary>
public class SqoolerSignedResultTests
{
    /// <summary>Seed of the test key below: SHA-256("strongroom sqooler test key").</summary>
    private const string TestSeedHex = "74feaf91caa1824cd6ed5abc7065bf092f9cf7a01f9639a7b00fc50f452edf4a";

    private const string TestPublicJwk = """{"x": "96_FcNy3fFN8xvYZe6mQOQ1XxPY5Qi-pxTfSi_1tCSw=", "key_ops": "verify", "kid": "sqooler-k\u00e9y-1", "d": null, "kty": "OKP", "alg": "EdDSA", "crv": "Ed25519"}""";

    /// <summary>
    /// Signed with the test key by sqooler's own code path (pydantic 2.13 <c>JWSHeader.model_dump_json</c>,
    /// <c>json.dumps(payload)</c>, <c>cryptography</c>'s Ed25519), then written with <c>json.dumps</c>:
    /// floats, non-ASCII (kid and payload), control characters, DEL, key order, a big int.
    /// </summary>
    private const string PythonSignedDocument = """{"header": {"alg": "EdDSA", "kid": "sqooler-k\u00e9y-1", "typ": "JWS", "version": "0.1"}, "payload": {"job_id": "j-\u00e9\u65e5\u672c-\ud83d\ude00", "zeta": 1, "alpha": [0.1, 1.0, 1e-07, 1e+16, 1e+22, 123456789.12345679, -0.0, 5e-324, 1.7976931348623157e+308, 100000.0], "text": "quote\" backslash\\ slash/ nl\n tab\t ctl\u0001\u001f del\u007f", "nested": {"b": null, "a": true, "": false, "empty": {}, "list": []}, "big": 123456789012345678901234567890, "neg": -0.5}, "signature": "8_NnujB7brT0AzrqVuDfbgtlrBNsDctzpYcNnEbk9r1snta8QR4X7saw8f1d7eaToHXREwCA4mlkZsmqdzPTBA=="}""";

    /// <summary>Payloads beyond the fixture, signed at test time over the bytes CPython computes.</summary>
    private static readonly string[] Payloads =
    [
        "{}",
        "{\"floats\": [0.1, 1.0, 1e-7, 1e16, 1e22, 123456789.123456789, -0.0, 5e-324, 1.7976931348623157e308, 1e5, 0.00001, 1234567890123456.0]}",
        "{\"text\": \"é 日本 😀 \\u0000\\u001f\\u007f \\\" \\\\ / \\n\\r\\t\\b\\f \\u2028\", \"ключ\": \"значение\"}",
        "{\"z\": 1, \"a\": {\"y\": [3, 2, 1], \"b\": null}, \"m\": [true, false], \"\": \"\"}",
        "{\"lone\": \"\\ud800\", \"big\": 123456789012345678901234567890, \"negzero\": -0}",
    ];

    [Fact]
    public void Fixture_verifies_with_the_uploaded_public_jwk()
    {
        string document = Fixture("sqooler_signed_result.json");
        string jwk = Fixture("sqooler_public_jwk.json");

        SqoolerVerificationResult result = SqoolerSignedResult.Verify(document, jwk);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("fermions-key-1", result.Kid);
        Assert.Equal("6e9f0a4b1c2d", result.Payload!.Value.GetProperty("job_id").GetString());

        using JsonWebKey key = JsonWebKey.Parse(jwk, JwkParseMode.SqoolerCompat);
        Assert.True(SqoolerSignedResult.Verify(document, key).IsValid);
        Assert.True(SqoolerSignedResult.Verify(Utf8(document), key).IsValid);
    }

    [Fact]
    public void Tampered_fixture_does_not_verify()
    {
        SqoolerVerificationResult result = SqoolerSignedResult.Verify(Fixture("sqooler_signed_result_tampered.json"), Fixture("sqooler_public_jwk.json"));
        Assert.Equal(SqoolerVerificationStatus.InvalidSignature, result.Status);
        Assert.Null(result.Payload);
    }

    [Fact]
    public void Fixture_verifies_with_the_key_from_the_private_key_string_and_not_with_another_key()
    {
        string privateKeyString = JsonDocument.Parse(Fixture("sqooler_private_key.json")).RootElement.GetProperty("PRIVATE_JWK_STR").GetString()!;
        using JsonWebKey privateJwk = JsonWebKey.ParseSqoolerPrivateKeyString(privateKeyString);
        using JsonWebKey publicJwk = JsonWebKey.FromPublicKey(privateJwk.ToEd25519PublicKey());
        Assert.True(SqoolerSignedResult.Verify(Fixture("sqooler_signed_result.json"), publicJwk).IsValid);

        using var other = Ed25519KeyPair.Generate();
        using JsonWebKey otherJwk = JsonWebKey.FromPublicKey(other.PublicKey);
        Assert.Equal(SqoolerVerificationStatus.InvalidSignature, SqoolerSignedResult.Verify(Fixture("sqooler_signed_result.json"), otherJwk).Status);
    }

    [Fact]
    public void Our_signature_over_the_fixture_payload_is_the_fixture_signature()
    {
        // Ed25519 is deterministic: signing as sqooler does must give sqooler's bytes.
        string privateKeyString = JsonDocument.Parse(Fixture("sqooler_private_key.json")).RootElement.GetProperty("PRIVATE_JWK_STR").GetString()!;
        using JsonWebKey privateJwk = JsonWebKey.ParseSqoolerPrivateKeyString(privateKeyString);
        using Ed25519KeyPair pair = privateJwk.ToEd25519KeyPair();
        using JsonDocument fixture = JsonDocument.Parse(Fixture("sqooler_signed_result.json"));
        string signed = SqoolerSignedResult.Sign(fixture.RootElement.GetProperty("payload"), pair, "fermions-key-1");
        using JsonDocument ours = JsonDocument.Parse(signed);
        Assert.Equal(fixture.RootElement.GetProperty("signature").GetString(), ours.RootElement.GetProperty("signature").GetString());
    }

    [Fact]
    public void A_document_signed_by_sqooler_code_with_floats_and_non_ascii_verifies()
    {
        SqoolerVerificationResult result = SqoolerSignedResult.Verify(PythonSignedDocument, TestPublicJwk);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("sqooler-kéy-1", result.Kid);

        // The same document as json.dump(indent=1, ensure_ascii=False) or minified: the value is signed, not the layout.
        JsonNode node = JsonNode.Parse(PythonSignedDocument)!;
        Assert.True(SqoolerSignedResult.Verify(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), TestPublicJwk).IsValid);
        Assert.True(SqoolerSignedResult.Verify(node.ToJsonString(), TestPublicJwk).IsValid);

        // And our signer, given the same key and payload, writes exactly what Python wrote.
        using Ed25519KeyPair pair = Ed25519KeyPair.ImportSeed(Hex(TestSeedHex));
        using JsonDocument document = JsonDocument.Parse(PythonSignedDocument);
        Assert.Equal(PythonSignedDocument, SqoolerSignedResult.Sign(document.RootElement.GetProperty("payload"), pair, "sqooler-kéy-1"));
    }

    [Fact]
    public void The_header_is_reserialized_as_pydantic_writes_it()
    {
        // pydantic 2.13 JWSHeader(kid=...).model_dump_json(): compact, model order, raw UTF-8, serde escapes.
        Assert.Equal(
            "{\"alg\":\"EdDSA\",\"kid\":\"é日😀\\\"\\\\/\\u0001\u007f\\n\\t\\b\\f\\r\\u001f\u2028\",\"typ\":\"JWS\",\"version\":\"0.1\"}",
            SqoolerSignedResult.HeaderJson(["EdDSA", "é日😀\"\\/\u0001\u007f\n\t\b\f\r\u001f\u2028", "JWS", "0.1"]));

        // The same bytes as Python's compact ensure_ascii=False json.dumps, for a range of kids.
        string[] kids = ["fermions-key-1", "é", "日本", "😀", "\"q\" \\b/", "\u0000\u0001\u001f\u007f\u0080", "\n\r\t\b\f", "\u2028\ufeff\uffff"];
        (string? Out, string? Error)[] python = CPython.Ask([.. kids.Select(kid => ("header", new JsonObject { ["alg"] = "EdDSA", ["kid"] = kid, ["typ"] = "JWS", ["version"] = "0.1" }.ToJsonString()))]);
        for (int i = 0; i < kids.Length; i++)
        {
            Assert.Equal(python[i].Out, SqoolerSignedResult.HeaderJson(["EdDSA", kids[i], "JWS", "0.1"]));
        }
    }

    [Fact]
    public void Payloads_beyond_the_fixture_round_trip_over_signing_input_computed_by_cpython()
    {
        using Ed25519KeyPair pair = Ed25519KeyPair.ImportSeed(Hex(TestSeedHex));
        using JsonWebKey jwk = JsonWebKey.FromPublicKey(pair.PublicKey);
        string[] kids = ["sqooler-k\\u00e9y-1", "fermions-key-1"];
        var requests = new List<(string, string)>();
        foreach (string kid in kids)
        {
            foreach (string payload in Payloads)
            {
                requests.Add(("signing_input", "{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"" + kid + "\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": " + payload + "}"));
            }
        }

        (string? Out, string? Error)[] signingInputs = CPython.Ask(requests);
        int index = 0;
        foreach (string kid in kids)
        {
            string kidText = JsonDocument.Parse("\"" + kid + "\"").RootElement.GetString()!;
            foreach (string payload in Payloads)
            {
                string pythonInput = signingInputs[index++].Out!;
                using JsonDocument payloadDocument = JsonDocument.Parse(payload);

                // Our signing input is CPython's, byte for byte.
                Assert.Equal(pythonInput, Encoding.ASCII.GetString(SqoolerSignedResult.TrySigningInput(["EdDSA", kidText, "JWS", "0.1"], payloadDocument.RootElement)!));

                // A document signed over CPython's bytes (as sqooler would: Ed25519 is deterministic) verifies ...
                string signature = SqoolerSignedResult.PaddedBase64Url(pair.Sign(Encoding.ASCII.GetBytes(pythonInput)));
                string document = "{\"header\": {\"version\": \"0.1\", \"typ\": \"JWS\", \"kid\": \"" + kid + "\", \"alg\": \"EdDSA\"}, \"signature\": \"" + signature + "\", \"payload\": " + payload + "}";
                SqoolerVerificationResult result = SqoolerSignedResult.Verify(document, jwk);
                Assert.True(result.IsValid, result.Reason + " for " + payload);
                Assert.Equal(kidText, result.Kid);

                // ... as does our own Sign, and one changed payload value does not.
                using JsonDocument payloadAgain = JsonDocument.Parse(payload);
                Assert.True(SqoolerSignedResult.Verify(SqoolerSignedResult.Sign(payloadAgain.RootElement, pair, kidText), jwk).IsValid);
                Assert.Equal(SqoolerVerificationStatus.InvalidSignature, SqoolerSignedResult.Verify(document.Replace("\"payload\": {", "\"payload\": {\"added\": 1, ", StringComparison.Ordinal).Replace("{\"added\": 1, }", "{\"added\": 1}", StringComparison.Ordinal), jwk).Status);
            }
        }
    }

    [Fact]
    public void Changing_key_order_or_a_float_representation_of_a_different_value_breaks_the_signature()
    {
        string jwk = Fixture("sqooler_public_jwk.json");
        string document = Fixture("sqooler_signed_result.json");
        Assert.True(SqoolerSignedResult.Verify(document, jwk).IsValid);

        // Key order inside the payload is signed (Python dicts keep insertion order) ...
        string reordered = document.Replace("\"shots\": 3,\n    \"success\": true,", "\"success\": true,\n    \"shots\": 3,", StringComparison.Ordinal);
        Assert.NotEqual(document, reordered);
        Assert.Equal(SqoolerVerificationStatus.InvalidSignature, SqoolerSignedResult.Verify(reordered, jwk).Status);

        // ... an int that becomes a float is a different Python value (3 vs 3.0) ...
        Assert.Equal(SqoolerVerificationStatus.InvalidSignature, SqoolerSignedResult.Verify(document.Replace("\"shots\": 3,", "\"shots\": 3.0,", StringComparison.Ordinal), jwk).Status);

        // ... but another spelling of the same float is the same value.
        Assert.True(SqoolerSignedResult.Verify(PythonSignedDocument.Replace("1e+16", "10000000000000000.0", StringComparison.Ordinal).Replace("100000.0]", "1E5]", StringComparison.Ordinal), TestPublicJwk).IsValid);

        // Header member order is not signed (pydantic writes model order), header values are.
        string headerReordered = PythonSignedDocument.Replace("{\"alg\": \"EdDSA\", \"kid\": \"sqooler-k\\u00e9y-1\", \"typ\": \"JWS\", \"version\": \"0.1\"}", "{\"version\": \"0.1\", \"typ\": \"JWS\", \"kid\": \"sqooler-k\u00e9y-1\", \"alg\": \"EdDSA\"}", StringComparison.Ordinal);
        Assert.NotEqual(PythonSignedDocument, headerReordered);
        Assert.True(SqoolerSignedResult.Verify(headerReordered, TestPublicJwk).IsValid);
        Assert.Equal(SqoolerVerificationStatus.InvalidSignature, SqoolerSignedResult.Verify(PythonSignedDocument.Replace("\"0.1\"}", "\"0.2\"}", StringComparison.Ordinal), TestPublicJwk).Status);
    }

    [Fact]
    public void Every_single_bit_flip_in_the_signature_fails()
    {
        string jwk = Fixture("sqooler_public_jwk.json");
        using JsonDocument fixture = JsonDocument.Parse(Fixture("sqooler_signed_result.json"));
        byte[] signature = Convert.FromBase64String(fixture.RootElement.GetProperty("signature").GetString()!.Replace('-', '+').Replace('_', '/'));
        for (int i = 0; i < signature.Length * 8; i += 7)
        {
            byte[] flipped = (byte[])signature.Clone();
            flipped[i / 8] ^= (byte)(1 << (i % 8));
            JsonNode node = JsonNode.Parse(Fixture("sqooler_signed_result.json"))!;
            node["signature"] = SqoolerSignedResult.PaddedBase64Url(flipped);
            Assert.False(SqoolerSignedResult.Verify(node.ToJsonString(), jwk).IsValid);
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {}}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {}, \"signature\": \"SIG\", \"extra\": 1}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\"}, \"payload\": {}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\", \"jku\": \"x\"}, \"payload\": {}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": 1, \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"\\ud800\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": [], \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {\"x\": 1e400}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {\"x\": NaN}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {\"x\": 1, \"x\": 2}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"header\": {}, \"payload\": {}, \"signature\": \"SIG\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {}, \"signature\": \"AAAA\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {}, \"signature\": \"UNPADDED\"}")]
    [InlineData("{\"header\": {\"alg\": \"EdDSA\", \"kid\": \"k\", \"typ\": \"JWS\", \"version\": \"0.1\"}, \"payload\": {}, \"signature\": \"STANDARD\"}")]
    public void Malformed_documents_are_a_distinct_answer_not_an_exception(string document)
    {
        using var pair = Ed25519KeyPair.Generate();
        using JsonWebKey jwk = JsonWebKey.FromPublicKey(pair.PublicKey);
        string good = SqoolerSignedResult.PaddedBase64Url(new byte[64]);
        document = document
            .Replace("\"SIG\"", "\"" + good + "\"", StringComparison.Ordinal)
            .Replace("\"UNPADDED\"", "\"" + good.TrimEnd('=') + "\"", StringComparison.Ordinal)
            .Replace("\"STANDARD\"", "\"" + Convert.ToBase64String(Enumerable.Repeat((byte)0xFB, 64).ToArray()) + "\"", StringComparison.Ordinal);
        SqoolerVerificationResult result = SqoolerSignedResult.Verify(document, jwk);
        Assert.Equal(SqoolerVerificationStatus.Malformed, result.Status);
        Assert.Null(result.Payload);
    }

    [Fact]
    public void Lone_surrogates_in_the_document_text_are_malformed_not_replaced()
    {
        using var pair = Ed25519KeyPair.Generate();
        using JsonWebKey jwk = JsonWebKey.FromPublicKey(pair.PublicKey);
        Assert.Equal(SqoolerVerificationStatus.Malformed, SqoolerSignedResult.Verify("{\"header\": {}, \"payload\": {\"a\": \"\ud800\"}, \"signature\": \"\"}", jwk).Status);
        Assert.Equal(SqoolerVerificationStatus.Malformed, SqoolerSignedResult.Verify(new byte[] { (byte)'{', 0xFF, (byte)'}' }, jwk).Status);
    }

    [Fact]
    public void Alg_other_than_eddsa_is_rejected_and_keys_must_be_ed25519_for_verify()
    {
        string document = Fixture("sqooler_signed_result.json");
        string jwk = Fixture("sqooler_public_jwk.json");
        Assert.Equal(SqoolerVerificationStatus.HeaderRejected, SqoolerSignedResult.Verify(document.Replace("\"alg\": \"EdDSA\"", "\"alg\": \"none\"", StringComparison.Ordinal), jwk).Status);

        // sqooler refuses a key whose key_ops is not verify; a private key JSON is not a verification key.
        Assert.Equal(SqoolerVerificationStatus.KeyRejected, SqoolerSignedResult.Verify(document, jwk.Replace("\"verify\"", "\"sign\"", StringComparison.Ordinal)).Status);
        Assert.True(SqoolerSignedResult.Verify(document, jwk.Replace("\"verify\"", "[\"verify\"]", StringComparison.Ordinal)).IsValid);
        Assert.Equal(SqoolerVerificationStatus.KeyRejected, SqoolerSignedResult.Verify(document, "{\"kty\": \"OKP\"}").Status);

        using var x25519 = X25519KeyPair.Generate();
        using JsonWebKey sealingKey = JsonWebKey.FromPublicKey(x25519.PublicKey);
        Assert.Equal(SqoolerVerificationStatus.KeyRejected, SqoolerSignedResult.Verify(document, sealingKey).Status);
    }

    private static string Fixture(string name) => File.ReadAllText(RepoPaths.TestData("fixtures", "sqooler", name));
}
