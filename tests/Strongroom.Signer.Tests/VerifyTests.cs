using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.KeyCustody;
using Strongroom.Signer.Domain;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Tests;

/// <summary>Verify answers invalid with a reason; errors only mean the question could not be asked.</summary>
public sealed class VerifyTests(SignerStack stack) : IClassFixture<SignerStack>
{
    [Theory]
    [InlineData("not a jws")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("eyJhbGciOiJFZERTQSJ9.e30.!!!")]
    [InlineData("{\"protected\":1}")]
    [InlineData("{")]
    public async Task A_malformed_JWS_is_an_invalid_answer_not_an_error(string jws)
    {
        var answer = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = jws });
        Assert.False(answer.Valid);
        Assert.Equal(Api.VerifyFailure.Malformed, answer.Failure);
        Assert.True(answer.Payload.IsEmpty);
    }

    [Fact]
    public async Task A_request_without_a_JWS_is_invalid_argument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await stack.Runner.VerifyAsync(new Api.VerifyRequest()));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task An_oversized_JWS_is_invalid_argument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = new string('a', (2 * 65536) + 5000) }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task A_JWS_by_a_key_the_signer_does_not_hold_is_unknown_key()
    {
        using var foreign = Ed25519KeyPair.Generate();
        var jws = Jws.SignCompact(foreign, "foreign-kid", "{}"u8, [new("typ", "strongroom-result"), new("runner", "spiffe://strongroom/runner"), new("iat", 1)]);
        var answer = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = jws });
        Assert.Equal(Api.VerifyFailure.UnknownKey, answer.Failure);
        Assert.Equal("foreign-kid", answer.Kid);
    }

    [Fact]
    public async Task The_signers_kid_on_a_foreign_signature_is_a_bad_signature()
    {
        var real = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFromUtf8("{}") });
        using var foreign = Ed25519KeyPair.Generate();
        var forged = Jws.SignCompact(foreign, real.Kid, "{}"u8, [new("typ", "strongroom-result"), new("runner", "spiffe://strongroom/runner"), new("iat", real.IssuedAt)]);
        var answer = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = forged });
        Assert.Equal(Api.VerifyFailure.BadSignature, answer.Failure);
    }

    [Fact]
    public async Task Header_rules_are_reported_with_their_reason()
    {
        var real = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFromUtf8("{}") });
        var parts = real.Jws.Split('.');
        string WithHeader(string json) => StrictBase64.EncodeUrl(Encoding.UTF8.GetBytes(json)) + "." + parts[1] + "." + parts[2];
        var kid = real.Kid;

        async Task<Api.VerifyFailure> Failure(string header) => (await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = WithHeader(header) })).Failure;

        Assert.Equal(Api.VerifyFailure.AlgorithmNotAllowed, await Failure($"{{\"alg\":\"none\",\"kid\":\"{kid}\"}}"));
        Assert.Equal(Api.VerifyFailure.AlgorithmNotAllowed, await Failure($"{{\"alg\":\"HS256\",\"kid\":\"{kid}\"}}"));
        foreach (var member in new[] { "jwk", "jku", "x5u", "x5c" })
        {
            Assert.Equal(Api.VerifyFailure.ForbiddenHeader, await Failure($"{{\"alg\":\"EdDSA\",\"kid\":\"{kid}\",\"{member}\":\"x\"}}"));
        }

        Assert.Equal(Api.VerifyFailure.UnknownCriticalHeader, await Failure($"{{\"alg\":\"EdDSA\",\"kid\":\"{kid}\",\"crit\":[\"exp\"],\"exp\":1}}"));
        Assert.Equal(Api.VerifyFailure.ForbiddenHeader, await Failure($"{{\"alg\":\"EdDSA\",\"kid\":\"{kid}\",\"b64\":false,\"crit\":[\"b64\"]}}"));
    }

    [Fact]
    public async Task A_flattened_JWS_with_an_unprotected_header_is_refused()
    {
        var real = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFromUtf8("{}"), Serialization = Api.JwsSerialization.FlattenedJson });
        var json = JsonNode.Parse(real.Jws)!.AsObject();
        json["header"] = new JsonObject { ["typ"] = "strongroom-config" };
        var answer = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = json.ToJsonString() });
        Assert.False(answer.Valid);
        Assert.Equal(Api.VerifyFailure.ForbiddenHeader, answer.Failure);
    }

    [Fact]
    public async Task A_valid_JWS_returns_its_payload_kid_typ_runner_and_iat()
    {
        var signed = await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFromUtf8("{\"a\":1}") });
        var answer = await stack.Public(Strongroom.Pki.WorkloadIdentity.Client("alice")).VerifyAsync(new Api.VerifyRequest { Jws = signed.Jws });
        Assert.True(answer.Valid, answer.Detail);
        Assert.Equal(Api.VerifyFailure.Unspecified, answer.Failure);
        Assert.Equal(signed.Kid, answer.Kid);
        Assert.Equal("strongroom-result", answer.Typ);
        Assert.Equal("spiffe://strongroom/runner", answer.Runner);
        Assert.Equal(signed.IssuedAt, answer.IssuedAt);
        Assert.Equal("{\"a\":1}", answer.Payload.ToStringUtf8());
    }
}

/// <summary>The verifier's lifecycle rules on constructed key states (the domain class, directly).</summary>
public sealed class SignatureVerifierTests : IDisposable
{
    private readonly Ed25519KeyPair _key = Ed25519KeyPair.Generate();

    private string Kid => SigningKeySet.KidOf(_key.PublicKey.Export());

    private string Sign(long iat, string typ = "strongroom-result") =>
        Jws.SignCompact(_key, Kid, "{}"u8, [new("typ", typ), new("runner", "spiffe://strongroom/runner"), new("iat", iat)]);

    private Dictionary<string, VerificationKey> With(KeyVersionState state, bool revoked = false, long? destroyedAt = null, int version = 2, int minimum = 1) =>
        new() { [Kid] = new VerificationKey("results", version, _key.PublicKey.Export(), revoked, state, destroyedAt, minimum) };

    [Fact]
    public void Signatures_made_before_a_destroy_stay_valid_and_those_at_or_after_it_do_not()
    {
        Assert.True(SignatureVerifier.Verify(Sign(999), null, null, With(KeyVersionState.Destroyed, destroyedAt: 1000)).Valid);
        Assert.Equal(VerifyFailureReason.SignedAfterDestroy, SignatureVerifier.Verify(Sign(1000), null, null, With(KeyVersionState.Destroyed, destroyedAt: 1000)).Failure);
        Assert.Equal(VerifyFailureReason.SignedAfterDestroy, SignatureVerifier.Verify(Sign(5000), null, null, With(KeyVersionState.Destroyed, destroyedAt: 1000)).Failure);
    }

    [Fact]
    public void A_revoked_version_invalidates_every_signature_it_made_whatever_its_iat()
    {
        Assert.Equal(VerifyFailureReason.KeyRevoked, SignatureVerifier.Verify(Sign(1), null, null, With(KeyVersionState.Disabled, revoked: true)).Failure);
    }

    [Fact]
    public void A_version_below_the_minimum_is_refused_and_disabled_versions_still_verify()
    {
        Assert.Equal(VerifyFailureReason.KeyBelowMinimumVersion, SignatureVerifier.Verify(Sign(1), null, null, With(KeyVersionState.Enabled, version: 1, minimum: 2)).Failure);
        Assert.True(SignatureVerifier.Verify(Sign(1), null, null, With(KeyVersionState.Disabled)).Valid);
    }

    [Fact]
    public void A_signature_without_typ_runner_or_integer_iat_is_malformed()
    {
        var noIat = Jws.SignCompact(_key, Kid, "{}"u8, [new("typ", "strongroom-result"), new("runner", "r")]);
        var stringIat = Jws.SignCompact(_key, Kid, "{}"u8, [new("typ", "strongroom-result"), new("runner", "r"), new("iat", "1")]);
        Assert.Equal(VerifyFailureReason.Malformed, SignatureVerifier.Verify(noIat, null, null, With(KeyVersionState.Enabled)).Failure);
        Assert.Equal(VerifyFailureReason.Malformed, SignatureVerifier.Verify(stringIat, null, null, With(KeyVersionState.Enabled)).Failure);
    }

    [Fact]
    public void Detached_payloads_verify_only_with_the_payload_that_was_signed()
    {
        var full = Sign(1).Split('.');
        var detached = full[0] + ".." + full[2];
        Assert.True(SignatureVerifier.Verify(detached, "{}"u8.ToArray(), null, With(KeyVersionState.Enabled)).Valid);
        Assert.Equal(VerifyFailureReason.BadSignature, SignatureVerifier.Verify(detached, "{ }"u8.ToArray(), null, With(KeyVersionState.Enabled)).Failure);
        Assert.Equal(VerifyFailureReason.Malformed, SignatureVerifier.Verify(Sign(1), "{}"u8.ToArray(), null, With(KeyVersionState.Enabled)).Failure);
    }

    public void Dispose() => _key.Dispose();
}
