using Strongroom.Crypto;
using Strongroom.Requests;

namespace Strongroom.Client.Tests;

public sealed class ResultSealingTests
{
    [Fact]
    public void A_sealed_output_opens_with_the_requesters_key_and_job_id()
    {
        using var requester = X25519KeyPair.Generate();
        var sealedOutput = ResultSealing.Seal(requester.PublicKey, "job-1", "accuracy=0.93\n"u8);

        Assert.Equal("accuracy=0.93\n"u8.ToArray(), ResultSealing.Open(requester, "job-1", sealedOutput.EncapsulatedKey, sealedOutput.Ciphertext));
        Assert.DoesNotContain("accuracy"u8.ToArray(), sealedOutput.Ciphertext);
    }

    [Fact]
    public void Another_x25519_key_cannot_open_it()
    {
        using var requester = X25519KeyPair.Generate();
        using var other = X25519KeyPair.Generate();
        var sealedOutput = ResultSealing.Seal(requester.PublicKey, "job-1", "secret"u8);

        Assert.Throws<CryptoException>(() => ResultSealing.Open(other, "job-1", sealedOutput.EncapsulatedKey, sealedOutput.Ciphertext));
    }

    [Fact]
    public void Another_job_id_as_aad_cannot_open_it()
    {
        using var requester = X25519KeyPair.Generate();
        var sealedOutput = ResultSealing.Seal(requester.PublicKey, "job-1", "secret"u8);

        Assert.Throws<CryptoException>(() => ResultSealing.Open(requester, "job-2", sealedOutput.EncapsulatedKey, sealedOutput.Ciphertext));
    }

    [Fact]
    public void The_request_info_does_not_open_a_result()
    {
        // Domain separation: a request ciphertext cannot be replayed as a result or the other way round.
        using var requester = X25519KeyPair.Generate();
        var sealedOutput = ResultSealing.Seal(requester.PublicKey, "job-1", "secret"u8);

        Assert.Throws<CryptoException>(() => Hpke.Open(requester, sealedOutput.EncapsulatedKey, Hpke.RequestInfo, "job-1"u8, sealedOutput.Ciphertext));
    }
}
