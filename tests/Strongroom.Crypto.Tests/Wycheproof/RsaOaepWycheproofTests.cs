using System.Security.Cryptography;
using Strongroom.Crypto.Tests.Support;

namespace Strongroom.Crypto.Tests.Wycheproof;

/// <summary>
/// Wycheproof RSA-OAEP-4096 with SHA-256/MGF1-SHA-256, against the internal primitive under
/// StudioMlPayload.UnwrapKey. Our profile has an empty label: vectors with a label must be refused
/// as Unsupported; the rest must decrypt exactly when valid.
/// </summary>
public class RsaOaepWycheproofTests
{
    [Fact]
    public void Rsa_oaep_4096_sha256_wycheproof_decrypts_exactly_the_valid_ciphertexts_and_refuses_labels()
    {
        var file = WycheproofFile.Load("rsa_oaep_4096_sha256_mgf1sha256_test.json");
        var tally = new WycheproofTally();
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromHexString(file.Cases[0].Group.GetProperty("privateKeyPkcs8").GetString()!), out _);
        byte[] buffer = new byte[512];
        foreach (WycheproofCase c in file.Cases)
        {
            Assert.NotEqual("acceptable", c.Result);
            bool valid = c.Result == "valid";
            byte[] label = c.Bytes("label");
            bool outOfProfile = label.Length != 0;
            try
            {
                bool ok = RsaOaepSha256.TryDecrypt(rsa, c.Bytes("ct"), label, buffer, out int written);
                if (outOfProfile)
                {
                    tally.MissedUnsupported(c);
                }
                else if (ok)
                {
                    tally.Accepted(c, buffer.AsSpan(0, written).SequenceEqual(c.Bytes("msg")), valid);
                }
                else
                {
                    tally.RejectedCase(c, valid);
                }
            }
            catch (CryptoException e) when (e.Kind == CryptoErrorKind.Unsupported)
            {
                tally.UnsupportedCase(c, outOfProfile);
            }
        }

        tally.AssertCounts(file, total: 37, passed: 10, rejected: 19, unsupported: 8);
    }
}
