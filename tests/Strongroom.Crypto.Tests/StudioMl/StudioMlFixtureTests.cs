using System.Security.Cryptography;
using Strongroom.Crypto.Tests.Support;

namespace Strongroom.Crypto.Tests.StudioMl;

/// <summary>
/// The StudioML fixtures, made by the seed's own tools and an independent encoder: the key is found
/// by its fingerprint, the signature verified before anything is decrypted, and the payload
/// decrypts to the clear request byte for byte.
/// </summary>
public class StudioMlFixtureTests
{
    [Theory]
    [InlineData("envelope-1-raw-signature.json", "request-1.json", 64)]
    [InlineData("envelope-2-ssh-wire-signature.json", "request-2.json", 83)]
    public void Studioml_envelope_verifies_by_fingerprint_and_decrypts_to_the_request_byte_for_byte(string envelopeFile, string requestFile, int signatureLength)
    {
        StudioMlEnvelope envelope = StudioMlFixtures.Envelope(envelopeFile);
        Assert.Equal(signatureLength, Convert.FromBase64String(envelope.Signature).Length);

        Ed25519PublicKey signer = ClientKeysByFingerprint()[envelope.Fingerprint];
        Assert.True(StudioMlPayload.VerifyPayloadSignature(signer, envelope.Payload, envelope.Signature));

        StudioMlPayloadParts parts = StudioMlPayload.Parse(envelope.Payload);
        using RSA runnerKey = StudioMlFixtures.RunnerPrivateKey();
        byte[] messageKey = StudioMlPayload.UnwrapKey(runnerKey, parts.WrappedKey);
        Assert.Equal(StudioMlFixtures.CompactRequest(requestFile), StudioMlPayload.OpenBox(messageKey, parts.Box));
    }

    [Fact]
    public void Studioml_envelope_with_a_signature_from_another_payload_is_refused_before_decryption()
    {
        StudioMlEnvelope envelope = StudioMlFixtures.Envelope("envelope-bad-signature.json");
        Ed25519PublicKey signer = ClientKeysByFingerprint()[envelope.Fingerprint];
        Assert.False(StudioMlPayload.VerifyPayloadSignature(signer, envelope.Payload, envelope.Signature));
    }

    [Fact]
    public void Client_fingerprint_is_what_ssh_keygen_prints_for_the_fixture_key()
    {
        SshAuthorizedKey client = OpenSsh.ParseAuthorizedKey(File.ReadAllText(StudioMlFixtures.PathOf("client_signing.pub")));
        Assert.Equal("experimenter@example", client.Comment);

        // `ssh-keygen -l -E sha256 -f client_signing.pub` prints this; it is also the F the fixtures carry.
        Assert.Equal("SHA256:sHDarixfhH4buzqSnqbMa+5Pwyzo5Wkm7vNn8S9q0Go", OpenSsh.Fingerprint(client.Key));
        Assert.Equal(StudioMlFixtures.Envelope("envelope-1-raw-signature.json").Fingerprint, OpenSsh.Fingerprint(client.Key));
    }

    [Fact]
    public void Unwrap_candidates_do_one_rsa_operation_per_version_and_only_the_right_version_opens()
    {
        StudioMlEnvelope envelope = StudioMlFixtures.Envelope("envelope-1-raw-signature.json");
        StudioMlPayloadParts parts = StudioMlPayload.Parse(envelope.Payload);
        using RSA other = StudioMlFixtures.OtherPrivateKey();
        using RSA runner = StudioMlFixtures.RunnerPrivateKey();

        byte[][] candidates = StudioMlPayload.UnwrapKeyCandidates([other, runner, other], parts.WrappedKey);

        Assert.Equal(3, candidates.Length);
        Assert.All(candidates, c => Assert.Equal(32, c.Length));
        Assert.False(StudioMlPayload.TryOpenBox(candidates[0], parts.Box, out _));
        Assert.True(StudioMlPayload.TryOpenBox(candidates[1], parts.Box, out byte[]? request));
        Assert.False(StudioMlPayload.TryOpenBox(candidates[2], parts.Box, out _));
        Assert.Equal(StudioMlFixtures.CompactRequest("request-1.json"), request);
        Assert.NotEqual(candidates[0], candidates[2]);
    }

    [Fact]
    public void Wrong_rsa_key_gives_32_random_bytes_without_throwing_and_the_box_then_fails_generically()
    {
        StudioMlPayloadParts parts = StudioMlPayload.Parse(StudioMlFixtures.Envelope("envelope-2-ssh-wire-signature.json").Payload);
        using RSA wrongKey = StudioMlFixtures.OtherPrivateKey();

        byte[] first = StudioMlPayload.UnwrapKey(wrongKey, parts.WrappedKey);
        byte[] second = StudioMlPayload.UnwrapKey(wrongKey, parts.WrappedKey);

        Assert.Equal(32, first.Length);
        Assert.NotEqual(first, second);
        var error = Assert.Throws<CryptoException>(() => StudioMlPayload.OpenBox(first, parts.Box));
        Assert.Equal(CryptoErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal("The data could not be authenticated.", error.Message);
    }

    [Fact]
    public void Unwrap_of_garbage_or_tampered_k_returns_32_bytes_and_never_throws()
    {
        using RSA runner = StudioMlFixtures.RunnerPrivateKey();
        StudioMlPayloadParts parts = StudioMlPayload.Parse(StudioMlFixtures.Envelope("envelope-1-raw-signature.json").Payload);
        byte[][] hostile =
        [
            new byte[512],
            Enumerable.Repeat((byte)0xFF, 512).ToArray(),
            SecureRandom.GetBytes(512),
            TestBytes.Flip(parts.WrappedKey, 0),
            TestBytes.Flip(parts.WrappedKey, 511),
        ];
        foreach (byte[] k in hostile)
        {
            byte[] key = StudioMlPayload.UnwrapKey(runner, k);
            Assert.Equal(32, key.Length);
            Assert.False(StudioMlPayload.TryOpenBox(key, parts.Box, out _));
        }
    }

    private static Dictionary<string, Ed25519PublicKey> ClientKeysByFingerprint()
    {
        SshAuthorizedKey client = OpenSsh.ParseAuthorizedKey(File.ReadAllText(StudioMlFixtures.PathOf("client_signing.pub")));
        return new Dictionary<string, Ed25519PublicKey>(StringComparer.Ordinal) { [OpenSsh.Fingerprint(client.Key)] = client.Key };
    }
}
