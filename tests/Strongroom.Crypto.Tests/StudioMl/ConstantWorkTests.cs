using System.Security.Cryptography;
using Strongroom.Crypto.Tests.Support;

namespace Strongroom.Crypto.Tests.StudioMl;

/// <summary>keyservice tries every enabled version with the same number of RSA operations, whatever matches.</summary>
public class ConstantWorkTests
{
    [Fact]
    public void Unwrap_candidates_do_exactly_one_rsa_operation_per_key_whether_or_not_it_matches()
    {
        StudioMlPayloadParts parts = StudioMlPayload.Parse(StudioMlFixtures.Envelope("envelope-1-raw-signature.json").Payload);
        using var runner = new CountingRsa(StudioMlFixtures.RunnerPrivateKey());
        using var other = new CountingRsa(StudioMlFixtures.OtherPrivateKey());

        StudioMlPayload.UnwrapKeyCandidates([runner, other], parts.WrappedKey);
        StudioMlPayload.UnwrapKeyCandidates([other, runner], new byte[512]);
        StudioMlPayload.UnwrapKeyCandidates([other, other, runner], SecureRandom.GetBytes(512));

        Assert.Equal(3, runner.Decryptions);
        Assert.Equal(4, other.Decryptions);
    }

    [Fact]
    public void Refused_inputs_cost_no_rsa_operation()
    {
        using var runner = new CountingRsa(StudioMlFixtures.RunnerPrivateKey());
        Assert.Throws<CryptoException>(() => StudioMlPayload.UnwrapKeyCandidates([runner], new byte[100]));
        Assert.Throws<CryptoException>(() => StudioMlPayload.UnwrapKey(runner, []));
        Assert.Equal(0, runner.Decryptions);
    }

    /// <summary>Delegates to a real key and counts private-key operations.</summary>
    private sealed class CountingRsa : RSA
    {
        private readonly RSA _inner;

        public CountingRsa(RSA inner)
        {
            _inner = inner;
            KeySizeValue = inner.KeySize;
            LegalKeySizesValue = [new KeySizes(inner.KeySize, inner.KeySize, 0)];
        }

        public int Decryptions { get; private set; }

        public override bool TryDecrypt(ReadOnlySpan<byte> data, Span<byte> destination, RSAEncryptionPadding padding, out int bytesWritten)
        {
            Decryptions++;
            return _inner.TryDecrypt(data, destination, padding, out bytesWritten);
        }

        public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding)
        {
            Decryptions++;
            return _inner.Decrypt(data, padding);
        }

        public override RSAParameters ExportParameters(bool includePrivateParameters) => _inner.ExportParameters(includePrivateParameters);

        public override void ImportParameters(RSAParameters parameters) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
