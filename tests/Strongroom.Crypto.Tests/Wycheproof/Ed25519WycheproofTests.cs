using Strongroom.Crypto.Tests.Support;

namespace Strongroom.Crypto.Tests.Wycheproof;

/// <summary>Wycheproof EdDSA verification: all of it is in our profile; Verify answers true or false, never throws.</summary>
public class Ed25519WycheproofTests
{
    [Fact]
    public void Ed25519_wycheproof_signatures_verify_exactly_when_valid()
    {
        var file = WycheproofFile.Load("ed25519_test.json");
        var tally = new WycheproofTally();
        foreach (WycheproofCase c in file.Cases)
        {
            Assert.NotEqual("acceptable", c.Result);
            bool valid = c.Result == "valid";
            byte[] publicKey = Convert.FromHexString(c.Group.GetProperty("publicKey").GetProperty("pk").GetString()!);
            bool verified = Ed25519PublicKey.TryImport(publicKey, out Ed25519PublicKey? key) && key.Verify(c.Bytes("msg"), c.Bytes("sig"));
            if (verified)
            {
                tally.Accepted(c, outputMatches: true, valid);
            }
            else
            {
                tally.RejectedCase(c, valid);
            }
        }

        tally.AssertCounts(file, total: 151, passed: 88, rejected: 63, unsupported: 0);
    }
}
