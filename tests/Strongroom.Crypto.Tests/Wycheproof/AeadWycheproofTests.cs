using Strongroom.Crypto.Tests.Support;

namespace Strongroom.Crypto.Tests.Wycheproof;

/// <summary>
/// Wycheproof AEAD vectors. Our profile is 256-bit keys, 96-bit nonces and 128-bit tags: inside it
/// every vector must give its expected result (valid: same plaintext and same ciphertext when
/// sealing; invalid: AuthenticationFailed); outside it our API must refuse with Unsupported. The
/// counts are pinned so a vector can never be skipped silently.
/// </summary>
public class AeadWycheproofTests
{
    [Fact]
    public void Aes_gcm_wycheproof_vectors_hold_in_profile_and_are_unsupported_outside()
    {
        var file = WycheproofFile.Load("aes_gcm_test.json");
        WycheproofTally tally = Run(file, AeadAlgorithm.Aes256Gcm);
        tally.AssertCounts(file, total: 316, passed: 39, rejected: 27, unsupported: 250);
    }

    [Fact]
    public void Chacha20_poly1305_wycheproof_vectors_hold_in_profile_and_are_unsupported_outside()
    {
        var file = WycheproofFile.Load("chacha20_poly1305_test.json");
        WycheproofTally tally = Run(file, AeadAlgorithm.ChaCha20Poly1305);
        tally.AssertCounts(file, total: 325, passed: 256, rejected: 60, unsupported: 9);
    }

    private static WycheproofTally Run(WycheproofFile file, AeadAlgorithm algorithm)
    {
        var tally = new WycheproofTally();
        foreach (WycheproofCase c in file.Cases)
        {
            Assert.NotEqual("acceptable", c.Result);
            bool outOfProfile = c.GroupInt("keySize") != 256 || c.GroupInt("ivSize") != 96 || c.GroupInt("tagSize") != 128;
            bool valid = c.Result == "valid";
            byte[] key = c.Bytes("key"), iv = c.Bytes("iv"), aad = c.Bytes("aad"), msg = c.Bytes("msg"), ct = c.Bytes("ct"), tag = c.Bytes("tag");
            try
            {
                byte[] opened = Aead.Open(algorithm, key, iv, ct, tag, aad);
                if (outOfProfile)
                {
                    tally.MissedUnsupported(c);
                    continue;
                }

                // A valid vector must also come out of Seal byte for byte (ciphertext || tag).
                byte[] sealedAgain = Aead.Seal(algorithm, key, iv, msg, aad);
                tally.Accepted(c, opened.AsSpan().SequenceEqual(msg) && sealedAgain.AsSpan().SequenceEqual([.. ct, .. tag]), valid);
            }
            catch (CryptoException e) when (e.Kind == CryptoErrorKind.Unsupported)
            {
                tally.UnsupportedCase(c, outOfProfile);
            }
            catch (CryptoException e) when (e.Kind == CryptoErrorKind.AuthenticationFailed)
            {
                if (outOfProfile)
                {
                    tally.MissedUnsupported(c);
                }
                else
                {
                    tally.RejectedCase(c, valid);
                }
            }
        }

        return tally;
    }
}
