using System.Text.Json.Nodes;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Envelopes;

/// <summary>The example in libs/Strongroom.Crypto/README.md, run as written.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void Readme_request_and_result_example_runs_end_to_end()
    {
        using var runnerKey = X25519KeyPair.Generate();
        using var clientKey = Ed25519KeyPair.Generate();
        using var requesterKey = X25519KeyPair.Generate();
        using var signerKey = Ed25519KeyPair.Generate();
        byte[] header = Utf8("header"), request = Utf8("{\"job\":\"train\"}");
        byte[] jobId = Utf8("job-1"), output = Utf8("done"), resultDocument = Utf8("{\"exit\":0}");
        var jwks = new Dictionary<string, Ed25519PublicKey> { [JsonWebKey.FromPublicKey(signerKey.PublicKey).Kid!] = signerKey.PublicKey };

        // Client: seal the request to the runner's X25519 key; the header is the AAD; sign everything.
        HpkeSealedMessage sealedRequest = Strongroom.Crypto.Hpke.Seal(runnerKey.PublicKey, Strongroom.Crypto.Hpke.RequestInfo, header, request);
        byte[] sig = StrongroomEnvelope.Sign(clientKey, header, sealedRequest.EncapsulatedKey, sealedRequest.Ciphertext);

        // keyservice: verify the client signature, then hand the runner only (key, base_nonce).
        bool signed = StrongroomEnvelope.Verify(clientKey.PublicKey, header, sealedRequest.EncapsulatedKey, sealedRequest.Ciphertext, sig);
        using HpkeMessageKeys keys = Strongroom.Crypto.Hpke.DecapsulateMessageKeys(sealedRequest.EncapsulatedKey, runnerKey, Strongroom.Crypto.Hpke.RequestInfo);

        // runner: open with those keys alone.
        using var opener = new HpkeOpener(keys);
        byte[] clear = opener.Open(header, sealedRequest.Ciphertext);

        // result: sealed to the requester (AAD = job id), signed by the signer as a JWS.
        HpkeSealedMessage sealedResult = Strongroom.Crypto.Hpke.Seal(requesterKey.PublicKey, Strongroom.Crypto.Hpke.ResultInfo, jobId, output);
        string jws = Jws.SignCompact(signerKey, JsonWebKey.FromPublicKey(signerKey.PublicKey).Kid!, resultDocument, new JsonObject { ["typ"] = "strongroom-result" });
        JwsVerificationResult verified = Jws.VerifyCompact(jws, kid => kid is not null && jwks.TryGetValue(kid, out Ed25519PublicKey? k) ? k : null);

        Assert.True(signed);
        Assert.Equal(request, clear);
        Assert.True(verified.IsValid);
        Assert.Equal(resultDocument, verified.Payload);
        Assert.Equal(output, Strongroom.Crypto.Hpke.Open(requesterKey, sealedResult.EncapsulatedKey, Strongroom.Crypto.Hpke.ResultInfo, jobId, sealedResult.Ciphertext));
    }
}
