using System.Security.Cryptography;

namespace Strongroom.Signer.Domain;

/// <summary>
/// RFC 9162 §2.1.4.2: verifies a consistency proof between two Merkle tree heads, with node hashes
/// SHA-256(0x01 || left || right). Kept here until libs/Strongroom.KeyLog ships a verifier the
/// signer can share (then this file goes, its known-answer tests move with it).
/// </summary>
public static class MerkleConsistency
{
    public const int HashSize = 32;

    /// <summary>The RFC 9162 hash of the empty tree: SHA-256 of nothing.</summary>
    public static byte[] EmptyRoot { get; } = SHA256.HashData([]);

    /// <summary>True only when <paramref name="proof"/> shows the tree of <paramref name="secondSize"/> extends that of <paramref name="firstSize"/>.</summary>
    public static bool Verify(ulong firstSize, ulong secondSize, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (firstRoot.Length != HashSize || secondRoot.Length != HashSize || proof.Any(p => p is null || p.Length != HashSize))
        {
            return false;
        }

        if (firstSize > secondSize)
        {
            return false;
        }

        if (firstSize == secondSize)
        {
            return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        }

        if (firstSize == 0)
        {
            // Every tree extends the empty one; the empty proof is the only well-formed one.
            return proof.Count == 0;
        }

        if (proof.Count == 0)
        {
            return false;
        }

        // Step 1: when the first size is a power of two, its root is the proof's implicit first node.
        var path = new List<byte[]>(proof.Count + 1);
        if ((firstSize & (firstSize - 1)) == 0)
        {
            path.Add(firstRoot.ToArray());
        }

        path.AddRange(proof);

        var fn = firstSize - 1;
        var sn = secondSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Node(c, fr);
                sr = Node(c, sr);
                if ((fn & 1) == 0)
                {
                    while (fn != 0 && (fn & 1) == 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0
            && CryptographicOperations.FixedTimeEquals(fr, firstRoot)
            && CryptographicOperations.FixedTimeEquals(sr, secondRoot);
    }

    private static byte[] Node(byte[] left, byte[] right)
    {
        Span<byte> input = stackalloc byte[1 + (2 * HashSize)];
        input[0] = 0x01;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + HashSize)..]);
        return SHA256.HashData(input);
    }
}
