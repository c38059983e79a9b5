using System.Security.Cryptography;

namespace Strongroom.Signer.Tests.Support;

/// <summary>
/// RFC 9162 §2.1.1 tree hash and §2.1.4.1 consistency proof generation, written straight from the
/// RFC's recursive definitions (independent of the verifier under test, which follows §2.1.4.2).
/// </summary>
public sealed class ReferenceMerkleTree
{
    private readonly List<byte[]> _leaves = [];

    public int Size => _leaves.Count;

    public static byte[] LeafHash(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] NodeHash(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    public void Append(byte[] data) => _leaves.Add(LeafHash(data));

    public byte[] Root(int size) => Mth(0, size);

    public List<byte[]> ConsistencyProof(int m, int n) => m == 0 || m == n ? [] : SubProof(m, 0, n, true);

    private byte[] Mth(int start, int n)
    {
        if (n == 0)
        {
            return SHA256.HashData([]);
        }

        if (n == 1)
        {
            return _leaves[start];
        }

        var k = LargestPowerOfTwoBelow(n);
        return NodeHash(Mth(start, k), Mth(start + k, n - k));
    }

    private List<byte[]> SubProof(int m, int start, int n, bool complete)
    {
        if (m == n)
        {
            return complete ? [] : [Mth(start, n)];
        }

        var k = LargestPowerOfTwoBelow(n);
        if (m <= k)
        {
            var proof = SubProof(m, start, k, complete);
            proof.Add(Mth(start + k, n - k));
            return proof;
        }

        var right = SubProof(m - k, start + k, n - k, false);
        right.Add(Mth(start, k));
        return right;
    }

    private static int LargestPowerOfTwoBelow(int n)
    {
        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }
}
