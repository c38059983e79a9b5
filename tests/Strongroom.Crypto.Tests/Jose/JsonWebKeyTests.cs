using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Crypto.Tests.Support;
using Strongroom.Testing;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Jose;

/// <summary>JWK parsing (strict and sqooler-compatible), serialization and RFC 7638 thumbprints.</summary>
public class JsonWebKeyTests
{
    /// <summary>RFC 7638 section 3.1's example RSA key.</summary>
    private const string Rfc7638RsaJwk = """{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}""";

    [Fact]
    public void Rfc8037_public_key_has_the_rfc_thumbprint()
    {
        using JsonWebKey key = JsonWebKey.Parse(Rfc8037.PublicJwk);
        Assert.Equal(JwkKeyType.Ed25519, key.KeyType);
        Assert.Equal(Rfc8037.Thumbprint, key.Thumbprint());
        Assert.Equal("""{"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", key.ThumbprintInput());
    }

    [Fact]
    public void Rfc8037_private_key_matches_its_public_key()
    {
        using JsonWebKey key = JsonWebKey.Parse(Rfc8037.PrivateJwk);
        Assert.True(key.HasPrivateKey);
        using Ed25519KeyPair pair = key.ToEd25519KeyPair();
        using JsonWebKey publicKey = JsonWebKey.Parse(Rfc8037.PublicJwk);
        Assert.Equal(publicKey.ToEd25519PublicKey(), pair.PublicKey);
    }

    [Fact]
    public void Rfc7638_rsa_example_has_the_rfc_thumbprint_whatever_the_optional_members()
    {
        using JsonWebKey key = JsonWebKey.Parse(Rfc7638RsaJwk);
        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", key.Thumbprint());
        Assert.Equal("2011-04-29", key.Kid);
    }

    [Fact]
    public void Generated_keys_serialize_with_their_thumbprint_as_kid_and_parse_back()
    {
        using var ed = Ed25519KeyPair.Generate();
        using JsonWebKey edJwk = JsonWebKey.FromPublicKey(ed.PublicKey);
        Assert.Equal(edJwk.Thumbprint(), edJwk.Kid);
        using JsonWebKey edBack = JsonWebKey.Parse(edJwk.ToJson());
        Assert.Equal(ed.PublicKey, edBack.ToEd25519PublicKey());
        Assert.Equal(edJwk.Thumbprint(), edBack.Kid);
        Assert.Equal("EdDSA", edBack.Alg);

        using var x = X25519KeyPair.Generate();
        using JsonWebKey xJwk = JsonWebKey.FromPublicKey(x.PublicKey);
        using JsonWebKey xBack = JsonWebKey.Parse(xJwk.ToJson());
        Assert.Equal(x.PublicKey, xBack.ToX25519PublicKey());
        Assert.StartsWith("""{"kty":"OKP","crv":"X25519","x":""", xJwk.ToJson(), StringComparison.Ordinal);

        using RSA rsa = StudioMlFixtures.RunnerPublicKey();
        using JsonWebKey rsaJwk = JsonWebKey.FromPublicKey(rsa);
        using JsonWebKey rsaBack = JsonWebKey.Parse(rsaJwk.ToJson());
        using RSA rsaAgain = rsaBack.ToRsaPublicKey();
        Assert.Equal(rsa.ExportParameters(false).Modulus, rsaAgain.ExportParameters(false).Modulus);
        Assert.Equal(4096, rsaAgain.KeySize);
        Assert.Equal(rsaJwk.Thumbprint(), rsaBack.Thumbprint());
    }

    [Fact]
    public void Private_d_is_written_only_when_asked_for()
    {
        using JsonWebKey key = JsonWebKey.Parse(Rfc8037.PrivateJwk);
        Assert.DoesNotContain("\"d\"", key.ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"", key.ToJson(includePrivateKey: true), StringComparison.Ordinal);
    }

    [Fact]
    public void X25519_private_jwk_must_match_its_public_key()
    {
        using var pair = X25519KeyPair.Generate(exportable: true);
        string x = StrictBase64.EncodeUrl(pair.PublicKey.Export());
        string d = StrictBase64.EncodeUrl(pair.ExportPrivateKey());
        using (JsonWebKey ok = JsonWebKey.Parse($$"""{"kty":"OKP","crv":"X25519","x":"{{x}}","d":"{{d}}"}"""))
        {
            using X25519KeyPair back = ok.ToX25519KeyPair();
            Assert.Equal(pair.PublicKey, back.PublicKey);
        }

        string otherD = StrictBase64.EncodeUrl(SecureRandom.GetBytes(32));
        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => JsonWebKey.Parse($$"""{"kty":"OKP","crv":"X25519","x":"{{x}}","d":"{{otherD}}"}""")).Kind);
    }

    public static TheoryData<string, CryptoErrorKind> BadJwks => new()
    {
        { """{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}""", CryptoErrorKind.Unsupported },
        { """{"kty":"oct","k":"AAAA"}""", CryptoErrorKind.Unsupported },
        { """{"kty":"OKP","crv":"Ed448","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", CryptoErrorKind.Unsupported },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":null}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"ES256"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP",/*c*/"crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":"verify"}""", CryptoErrorKind.Malformed },
        { """{"crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", CryptoErrorKind.Malformed },
        { """{"kty":"OKP","crv":"Ed25519","x":32}""", CryptoErrorKind.Malformed },
        { """["kty","OKP"]""", CryptoErrorKind.Malformed },
        { """{"kty":"RSA","n":"AKZ","e":"AQAB"}""", CryptoErrorKind.Malformed },
        { """{"kty":"RSA","n":"pQ","e":"AQAB"}""", CryptoErrorKind.Unsupported },
        { """{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","d":"AQAB"}""", CryptoErrorKind.Unsupported },
    };

    [Theory]
    [MemberData(nameof(BadJwks))]
    public void Strict_parse_refuses_jwks_outside_the_profile_or_not_exactly_encoded(string json, CryptoErrorKind kind)
    {
        Assert.Equal(kind, Assert.Throws<CryptoException>(() => JsonWebKey.Parse(json)).Kind);
    }

    [Fact]
    public void Unknown_members_are_ignored_as_rfc7517_requires()
    {
        using JsonWebKey key = JsonWebKey.Parse("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"sig","key_ops":["verify"],"ext":true}""");
        Assert.Equal(Rfc8037.Thumbprint, key.Thumbprint());
    }

    [Fact]
    public void Sqooler_private_key_string_parses_in_compat_mode_and_matches_the_uploaded_public_jwk()
    {
        string privateKeyString = ReadJson("sqooler_private_key.json").GetProperty("PRIVATE_JWK_STR").GetString()!;
        using JsonWebKey privateJwk = JsonWebKey.ParseSqoolerPrivateKeyString(privateKeyString);
        Assert.Equal("fermions-key-1", privateJwk.Kid);
        Assert.True(privateJwk.HasPrivateKey);

        string publicJson = File.ReadAllText(RepoPaths.TestData("fixtures", "sqooler", "sqooler_public_jwk.json"));
        using JsonWebKey publicJwk = JsonWebKey.Parse(publicJson, JwkParseMode.SqoolerCompat);
        Assert.False(publicJwk.HasPrivateKey);
        Assert.Equal(publicJwk.Thumbprint(), privateJwk.Thumbprint());

        using Ed25519KeyPair pair = privateJwk.ToEd25519KeyPair();
        Assert.Equal(publicJwk.ToEd25519PublicKey(), pair.PublicKey);

        // The same documents are not RFC 8037 JWKs: padded x, "d": null and a bare key_ops string.
        Assert.Throws<CryptoException>(() => JsonWebKey.Parse(publicJson));
    }

    [Fact]
    public void Sqooler_compat_mode_still_refuses_non_canonical_or_wrong_length_values()
    {
        Assert.Throws<CryptoException>(() => JsonWebKey.Parse("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=="}""", JwkParseMode.SqoolerCompat));
        Assert.Throws<CryptoException>(() => JsonWebKey.Parse("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp="}""", JwkParseMode.SqoolerCompat));
        Assert.Throws<CryptoException>(() => JsonWebKey.Parse("""{"kty":"OKP","crv":"Ed25519","x":"AAAA="}""", JwkParseMode.SqoolerCompat));
        Assert.Throws<CryptoException>(() => JsonWebKey.ParseSqoolerPrivateKeyString("not base64url!"));
    }

    [Fact]
    public void Stock_jose_library_computes_the_same_thumbprints()
    {
        NodeScript.RequirePackages("jose");
        using var ed = Ed25519KeyPair.Generate();
        using var x = X25519KeyPair.Generate();
        using RSA rsa = StudioMlFixtures.RunnerPublicKey();
        foreach (JsonWebKey key in new[] { JsonWebKey.FromPublicKey(ed.PublicKey), JsonWebKey.FromPublicKey(x.PublicKey), JsonWebKey.FromPublicKey(rsa) })
        {
            using (key)
            {
                JsonNode result = NodeScript.Run("jose-interop.mjs", "thumbprint", new JsonObject { ["jwk"] = JsonNode.Parse(key.ToJson()) });
                Assert.Equal(key.Thumbprint(), (string)result["thumbprint"]!);
            }
        }
    }

    private static JsonElement ReadJson(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.TestData("fixtures", "sqooler", name)));
        return document.RootElement.Clone();
    }
}
