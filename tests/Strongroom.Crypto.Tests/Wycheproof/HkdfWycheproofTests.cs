using Strongroom.Crypto.Tests.Support;

namespace Strongroom.Crypto.Tests.Wycheproof;

/// <summary>Wycheproof HKDF-SHA256: every vector is in profile; "invalid" ones ask for more than 255·32 bytes and must be refused.</summary>
public class HkdfWycheproofTests
{
    [Fact]
    public void Hkdf_sha256_wycheproof_outputs_match_and_oversized_outputs_are_refused()
    {
        var file = WycheproofFile.Load("hkdf_sha256_test.json");
        var tally = new WycheproofTally();
        foreach (WycheproofCase c in file.Cases)
        {
            Assert.NotEqual("acceptable", c.Result);
            bool valid = c.Result == "valid";
            byte[] ikm = c.Bytes("ikm"), salt = c.Bytes("salt"), info = c.Bytes("info");
            try
            {
                byte[] okm = HkdfSha256.DeriveKey(ikm, c.Int("size"), salt, info);
                byte[] twoStep = HkdfSha256.Expand(HkdfSha256.Extract(ikm, salt), c.Int("size"), info);
                tally.Accepted(c, okm.AsSpan().SequenceEqual(c.Bytes("okm")) && twoStep.AsSpan().SequenceEqual(okm), valid);
            }
            catch (CryptoException e) when (e.Kind == CryptoErrorKind.LimitExceeded)
            {
                tally.RejectedCase(c, valid);
            }
        }

        tally.AssertCounts(file, total: 86, passed: 83, rejected: 3, unsupported: 0);
    }
}
