using Strongroom.Crypto.Tests.Support;

namespace Strongroom.Crypto.Tests.Wycheproof;

/// <summary>
/// Wycheproof X25519, through both of our paths (libsodium directly for ephemeral keys, NSec key
/// pairs for long-lived keys), which must agree on every case.
/// Policy for "acceptable" cases: a public key that yields the all-zero shared secret (low-order
/// points, flag ZeroSharedSecret) is refused with InvalidPublicKey — RFC 7748 section 6.1 allows the
/// check and RFC 9180 requires it for DHKEM. Every other acceptable case (twist points, non-canonical
/// u-coordinates, edge-case multiplications) is a well-defined RFC 7748 result and must be computed
/// exactly as the vector says.
/// </summary>
public class X25519WycheproofTests
{
    [Fact]
    public void X25519_wycheproof_agrees_on_every_vector_and_refuses_zero_shared_secrets()
    {
        var file = WycheproofFile.Load("x25519_test.json");
        var tally = new WycheproofTally();
        foreach (WycheproofCase c in file.Cases)
        {
            byte[] shared = c.Bytes("shared");
            bool policyAccepts = c.Result switch
            {
                "valid" => true,
                "acceptable" => !ConstantTime.IsAllZero(shared),
                _ => false,
            };

            byte[]? viaSodium = Agree(() =>
            {
                var output = new byte[32];
                X25519Ephemeral.Agree(c.Bytes("private"), c.Bytes("public"), output);
                return output;
            });
            byte[]? viaNsec = Agree(() =>
            {
                using var pair = X25519KeyPair.Import(c.Bytes("private"));
                return pair.Agree(X25519PublicKey.Import(c.Bytes("public")));
            });

            Assert.True((viaSodium is null) == (viaNsec is null), c + ": the two X25519 paths disagree");
            if (viaSodium is null)
            {
                tally.RejectedCase(c, policyAccepts);
            }
            else
            {
                tally.Accepted(c, viaSodium.AsSpan().SequenceEqual(shared) && viaNsec!.AsSpan().SequenceEqual(shared), policyAccepts);
            }
        }

        tally.AssertCounts(file, total: 518, passed: 487, rejected: 31, unsupported: 0);
    }

    private static byte[]? Agree(Func<byte[]> agree)
    {
        try
        {
            return agree();
        }
        catch (CryptoException e) when (e.Kind == CryptoErrorKind.InvalidPublicKey)
        {
            return null;
        }
    }
}
