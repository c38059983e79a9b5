using System.Security.Cryptography;
using Strongroom.Crypto.Tests.Support;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.StudioMl;

/// <summary>The StudioML payload format and its no-oracle rules, apart from the fixtures.</summary>
public class StudioMlPayloadTests
{
    [Fact]
    public void Seal_parse_unwrap_open_round_trip_recovers_the_request()
    {
        byte[] request = Utf8("{\"experiment\": {\"key\": \"round-trip\"}}");
        using RSA publicKey = StudioMlFixtures.RunnerPublicKey();
        string payload = StudioMlPayload.Seal(publicKey, request);

        Assert.Single(payload, ',');
        StudioMlPayloadParts parts = StudioMlPayload.Parse(payload);
        Assert.Equal(512, parts.WrappedKey.Length);
        Assert.Equal(24 + 16 + request.Length, parts.Box.Length);

        using RSA privateKey = StudioMlFixtures.RunnerPrivateKey();
        Assert.Equal(request, StudioMlPayload.OpenBox(StudioMlPayload.UnwrapKey(privateKey, parts.WrappedKey), parts.Box));
    }

    [Fact]
    public void Signed_payload_verifies_in_raw_and_ssh_wire_form_and_fails_for_another_payload()
    {
        using var client = Ed25519KeyPair.Generate();
        using RSA publicKey = StudioMlFixtures.RunnerPublicKey();
        string payload = StudioMlPayload.Seal(publicKey, Utf8("{}"));
        string raw = StudioMlPayload.SignPayload(client, payload);
        string wire = StudioMlPayload.SignPayload(client, payload, sshWireForm: true);

        Assert.Equal(64, Convert.FromBase64String(raw).Length);
        Assert.Equal(83, Convert.FromBase64String(wire).Length);
        Assert.True(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload, raw));
        Assert.True(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload, wire));
        Assert.False(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload + " ", raw));
        Assert.False(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload, raw.TrimEnd('=')));
        Assert.False(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload, "not base64!"));
        Assert.False(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload, Convert.ToBase64String(new byte[65])));
    }

    public static TheoryData<string, StudioMlPayloadError> BadPayloads
    {
        get
        {
            string k = Convert.ToBase64String(new byte[512]);
            string c = Convert.ToBase64String(new byte[40]);
            return new TheoryData<string, StudioMlPayloadError>
            {
                { k + c, StudioMlPayloadError.CommaCount },
                { k + "," + c + ",", StudioMlPayloadError.CommaCount },
                { string.Empty, StudioMlPayloadError.CommaCount },
                { k + ", " + c, StudioMlPayloadError.NotBase64 },
                { k + "," + c + "\n", StudioMlPayloadError.NotBase64 },
                { k.TrimEnd('=') + "," + c, StudioMlPayloadError.NotBase64 },
                { k.Replace('A', '-') + "," + c, StudioMlPayloadError.NotBase64 },
                { Convert.ToBase64String(new byte[511]) + "," + c, StudioMlPayloadError.WrappedKeyLength },
                { Convert.ToBase64String(new byte[256]) + "," + c, StudioMlPayloadError.WrappedKeyLength },
                { "," + c, StudioMlPayloadError.WrappedKeyLength },
                { k + "," + Convert.ToBase64String(new byte[39]), StudioMlPayloadError.BoxTooShort },
                { k + ",", StudioMlPayloadError.BoxTooShort },
            };
        }
    }

    [Theory]
    [MemberData(nameof(BadPayloads))]
    public void Parse_names_each_structural_problem_before_any_rsa_operation(string payload, StudioMlPayloadError expected)
    {
        Assert.Equal(expected, StudioMlPayload.TryParse(payload, out StudioMlPayloadParts? parts));
        Assert.Null(parts);
        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => StudioMlPayload.Parse(payload)).Kind);
    }

    [Fact]
    public void Unwrap_refuses_a_k_that_is_not_512_bytes_before_the_rsa_operation()
    {
        using RSA key = StudioMlFixtures.OtherPrivateKey();
        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => StudioMlPayload.UnwrapKey(key, new byte[511])).Kind);
        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => StudioMlPayload.UnwrapKeyCandidates([key], new byte[513])).Kind);
    }

    [Fact]
    public void Rsa_keys_other_than_4096_bits_are_unsupported()
    {
        using var small = RSA.Create(2048);
        Assert.Equal(CryptoErrorKind.Unsupported, Assert.Throws<CryptoException>(() => StudioMlPayload.UnwrapKey(small, new byte[512])).Kind);
        Assert.Equal(CryptoErrorKind.Unsupported, Assert.Throws<CryptoException>(() => StudioMlPayload.Seal(small, [1])).Kind);
        using RSA good = StudioMlFixtures.OtherPrivateKey();
        Assert.Equal(CryptoErrorKind.Unsupported, Assert.Throws<CryptoException>(() => StudioMlPayload.UnwrapKeyCandidates([good, small], new byte[512])).Kind);
    }

    [Fact]
    public void Open_box_fails_with_one_generic_error_for_every_kind_of_damage()
    {
        byte[] key = SecureRandom.GetBytes(32);
        byte[] box = StudioMlPayload.SealBox(key, Utf8("request"));
        byte[][] damaged = [Flip(box, 0), Flip(box, 24), Flip(box, box.Length - 1), box[..^1], box[..40], box[..39], []];
        foreach (byte[] d in damaged)
        {
            var error = Assert.Throws<CryptoException>(() => StudioMlPayload.OpenBox(key, d));
            Assert.Equal(CryptoErrorKind.AuthenticationFailed, error.Kind);
            Assert.Equal("The data could not be authenticated.", error.Message);
        }

        Assert.Throws<CryptoException>(() => StudioMlPayload.OpenBox(Flip(key, 3), box));
        Assert.Equal(Utf8("request"), StudioMlPayload.OpenBox(key, box));
    }

    [Fact]
    public void Secretbox_layout_is_nonce_then_poly1305_tag_then_ciphertext_as_libsodium_easy()
    {
        byte[] key = SecureRandom.GetBytes(32);
        byte[] empty = StudioMlPayload.SealBox(key, []);
        Assert.Equal(40, empty.Length);
        Assert.Empty(StudioMlPayload.OpenBox(key, empty));
    }
}
