using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Strongroom.Client.Tests.Support;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Requests;
using static Strongroom.Client.Tests.Support.SignedResults;

namespace Strongroom.Client.Tests;

public sealed class ResultVerifierTests : IDisposable
{
    private static readonly byte[] Output = "accuracy=0.93\n"u8.ToArray();

    private readonly Ed25519KeyPair _signer = Ed25519KeyPair.Generate();
    private readonly X25519KeyPair _sealing = X25519KeyPair.Generate(exportable: true);
    private readonly byte[] _requestDigest = RandomNumberGenerator.GetBytes(32);

    private ResultExpectation Expected => new("job-1", Alice, _requestDigest);

    private Func<string, ReplayedKey?> Log(ReplayedKey? key = null)
    {
        var logged = key ?? Logged(_signer.PublicKey);
        return kid => kid == logged.Kid ? logged : null;
    }

    [Fact]
    public void A_result_signed_by_a_logged_result_key_verifies_and_its_output_opens()
    {
        var stored = Stored(_signer, "job-1", _requestDigest, Output, _sealing.PublicKey);

        var verified = ResultVerifier.Verify(stored, Expected, Log(), _sealing);

        Assert.Equal(Output, verified.Output);
        Assert.Equal(Kid(_signer.PublicKey), verified.SignerKid);
        Assert.Equal(SignedResults.RunnerIdentity, verified.RunnerIdentity);
        Assert.Equal("job-1", verified.Document.JobId);
        Assert.Equal(1_800_000_003, verified.IssuedAt);
    }

    [Fact]
    public void Without_the_sealing_key_the_result_still_verifies_but_stays_sealed()
    {
        var stored = Stored(_signer, "job-1", _requestDigest, Output, _sealing.PublicKey);

        Assert.Null(ResultVerifier.Verify(stored, Expected, Log()).Output);
    }

    [Fact]
    public void A_destroyed_key_still_vouches_for_results_signed_before_its_destruction()
    {
        var stored = Stored(_signer, "job-1", _requestDigest, Output, _sealing.PublicKey, iat: 1_800_000_003);

        Assert.Equal(Output, ResultVerifier.Verify(stored, Expected, Log(Logged(_signer.PublicKey, KeyState.Destroyed, destroyedAt: 1_800_000_100)), _sealing).Output);
        Assert.Equal(Output, ResultVerifier.Verify(stored, Expected, Log(Logged(_signer.PublicKey, KeyState.Disabled)), _sealing).Output);
    }

    public static TheoryData<string, ResultFailure> Refusals() => new()
    {
        { "wrong job id", ResultFailure.JobIdMismatch },
        { "another owner", ResultFailure.OwnerMismatch },
        { "wrong request digest", ResultFailure.RequestDigestMismatch },
        { "output byte flipped", ResultFailure.OutputDigestMismatch },
        { "output cut", ResultFailure.OutputDigestMismatch },
        { "wrong typ", ResultFailure.WrongType },
        { "unknown kid", ResultFailure.UnknownSigningKey },
        { "kid of a client signing key", ResultFailure.UnknownSigningKey },
        { "alg none", ResultFailure.HeaderRejected },
        { "alg HS256", ResultFailure.HeaderRejected },
        { "jwk in header", ResultFailure.HeaderRejected },
        { "signature by another key under the kid", ResultFailure.BadSignature },
        { "sealed to another kid", ResultFailure.SealedToWrongKey },
        { "signing key revoked", ResultFailure.SigningKeyRevoked },
        { "signing key destroyed before iat", ResultFailure.SigningKeyRevoked },
        { "enc of another seal", ResultFailure.CannotOpen },
        { "storage relabels the owner", ResultFailure.StoredFieldsMismatch },
        { "payload not a result document", ResultFailure.DocumentMalformed },
        { "no iat", ResultFailure.HeaderIncomplete },
        { "not a jws", ResultFailure.Malformed },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_result_that_must_not_be_believed_is_refused_with_its_own_reason(string tampering, ResultFailure expected)
    {
        var stored = Stored(_signer, "job-1", _requestDigest, Output, _sealing.PublicKey);
        var expectation = Expected;
        var log = Log();
        var kid = Kid(_signer.PublicKey);
        var document = SignedResults.Document("job-1", _requestDigest, stored.Output.ToByteArray(), stored.SealedToKid);
        switch (tampering)
        {
            case "wrong job id":
                expectation = expectation with { JobId = "job-2" };
                break;
            case "another owner":
                expectation = expectation with { Owner = "spiffe://strongroom/client/bob" };
                break;
            case "wrong request digest":
                expectation = expectation with { RequestSha256 = RandomNumberGenerator.GetBytes(32) };
                break;
            case "output byte flipped":
                var flipped = stored.Output.ToByteArray();
                flipped[3] ^= 0x80;
                stored.Output = ByteString.CopyFrom(flipped);
                break;
            case "output cut":
                stored.Output = ByteString.CopyFrom(stored.Output.Span[..^1]);
                break;
            case "wrong typ":
                stored.SignedResult = Sign(_signer, document, typ: "strongroom-config");
                break;
            case "unknown kid":
                log = _ => null;
                break;
            case "kid of a client signing key":
                log = Log(Logged(_signer.PublicKey, kind: KeyKind.ClientSigning));
                break;
            case "alg none":
                stored.SignedResult = Segment(new JsonObject { ["alg"] = "none", ["kid"] = kid, ["typ"] = "strongroom-result" }) + "." + StrictBase64.EncodeUrl(document.ToJsonBytes()) + ".";
                break;
            case "alg HS256":
                var header = Segment(new JsonObject { ["alg"] = "HS256", ["kid"] = kid, ["typ"] = "strongroom-result", ["runner"] = RunnerIdentity, ["iat"] = 1_800_000_003 });
                var input = header + "." + StrictBase64.EncodeUrl(document.ToJsonBytes());
                // HMAC keyed with the public key: the classic algorithm-confusion forgery.
                stored.SignedResult = input + "." + StrictBase64.EncodeUrl(HMACSHA256.HashData(_signer.PublicKey.Export(), Encoding.ASCII.GetBytes(input)));
                break;
            case "jwk in header":
                var jwkHeader = Segment(new JsonObject { ["alg"] = "EdDSA", ["kid"] = kid, ["typ"] = "strongroom-result", ["runner"] = RunnerIdentity, ["iat"] = 1_800_000_003, ["jwk"] = JsonNode.Parse(Logged(_signer.PublicKey).JwkJson) });
                var jwkInput = jwkHeader + "." + StrictBase64.EncodeUrl(document.ToJsonBytes());
                stored.SignedResult = jwkInput + "." + StrictBase64.EncodeUrl(_signer.Sign(Encoding.ASCII.GetBytes(jwkInput)));
                break;
            case "signature by another key under the kid":
                using (var other = Ed25519KeyPair.Generate())
                {
                    stored.SignedResult = Sign(other, document, kid: kid);
                }

                break;
            case "sealed to another kid":
                using (var other = X25519KeyPair.Generate())
                {
                    stored = Stored(_signer, "job-1", _requestDigest, Output, other.PublicKey);
                }

                break;
            case "signing key revoked":
                log = Log(Logged(_signer.PublicKey, KeyState.Revoked));
                break;
            case "signing key destroyed before iat":
                log = Log(Logged(_signer.PublicKey, KeyState.Destroyed, destroyedAt: 1_800_000_003));
                break;
            case "enc of another seal":
                stored.OutputEnc = ByteString.CopyFrom(ResultSealing.Seal(_sealing.PublicKey, "job-1", Output).EncapsulatedKey);
                break;
            case "storage relabels the owner":
                stored.OwnerIdentity = "spiffe://strongroom/client/bob";
                break;
            case "payload not a result document":
                stored.SignedResult = Jws.SignCompact(_signer, kid, "{\"job_id\":\"job-1\"}"u8, new JsonObject { ["typ"] = "strongroom-result", ["runner"] = RunnerIdentity, ["iat"] = 1_800_000_003 });
                break;
            case "no iat":
                stored.SignedResult = Jws.SignCompact(_signer, kid, document.ToJsonBytes(), new JsonObject { ["typ"] = "strongroom-result", ["runner"] = RunnerIdentity });
                break;
            case "not a jws":
                stored.SignedResult = "not.a-jws";
                break;
            default:
                throw new ArgumentException(tampering);
        }

        var refused = Assert.Throws<ResultVerificationException>(() => ResultVerifier.Verify(stored, expectation, log, _sealing));
        Assert.Equal(expected, refused.Failure);
        Assert.False(string.IsNullOrWhiteSpace(refused.Message));
        Assert.DoesNotContain(StrictBase64.EncodeUrl(_sealing.ExportPrivateKey()), refused.Message, StringComparison.Ordinal);
    }

    private static string Segment(JsonObject header) => StrictBase64.EncodeUrl(Encoding.UTF8.GetBytes(header.ToJsonString()));

    public void Dispose()
    {
        _signer.Dispose();
        _sealing.Dispose();
    }
}
