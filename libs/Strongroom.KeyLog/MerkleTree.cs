using System.Security.Cryptography;

namespace Strongroom.KeyLog;

/// <summary>
/// RFC 9162 §2.1 Merkle Tree Hash over SHA-256: leaf = SHA-256(0x00 || entry), node =
/// SHA-256(0x01 || left || right), the empty tree hashes to SHA-256(""). Proofs are generated and
/// verified with the RFC's own algorithms (§2.1.3 inclusion, §2.1.4 consistency); verification
/// answers bool and never throws on a bad proof.
/// </summary>
public static class MerkleTree
{
    public const int HashSize = 32;

    /// <summary>SHA-256 of the empty string: the root of the empty tree.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData([]);

    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        var buffer = new byte[entry.Length + 1];
        buffer[0] = 0x00;
        entry.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * HashSize)];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>MTH of the first <paramref name="size"/> leaf hashes.</summary>
    public static byte[] RootHash(IReadOnlyList<byte[]> leafHashes, long size)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        CheckSize(leafHashes, size);
        return size == 0 ? EmptyRoot() : Subtree(leafHashes, 0, (int)size);
    }

    /// <summary>RFC 9162 §2.1.3.1 PATH(m, D[0:n]): the audit path of leaf <paramref name="index"/> in the tree of <paramref name="size"/>, leaf to root.</summary>
    public static IReadOnlyList<byte[]> InclusionProof(IReadOnlyList<byte[]> leafHashes, long index, long size)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        CheckSize(leafHashes, size);
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "leaf index outside the tree");
        }

        var proof = new List<byte[]>();
        Path((int)index, 0, (int)size, leafHashes, proof);
        return proof;
    }

    /// <summary>RFC 9162 §2.1.4.1 PROOF(m, D[0:n]).</summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(IReadOnlyList<byte[]> leafHashes, long first, long second)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        CheckSize(leafHashes, second);
        if (first < 0 || first > second)
        {
            throw new ArgumentOutOfRangeException(nameof(first), "first size must be between 0 and the second");
        }

        var proof = new List<byte[]>();
        if (first == 0 || first == second)
        {
            return proof;
        }

        SubProof((int)first, 0, (int)second, true, leafHashes, proof);
        return proof;
    }

    /// <summary>RFC 9162 §2.1.3.2: verifies an inclusion proof of <paramref name="leafHash"/> at <paramref name="index"/> against <paramref name="root"/>.</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (proof is null || index < 0 || index >= size || leafHash.Length != HashSize || root.Length != HashSize || proof.Any(p => p is null || p.Length != HashSize))
        {
            return false;
        }

        ulong fn = (ulong)index;
        ulong sn = (ulong)size - 1;
        byte[] r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    /// <summary>RFC 9162 §2.1.4.2: verifies that the tree of <paramref name="second"/> leaves with <paramref name="secondRoot"/> extends the tree of <paramref name="first"/> leaves with <paramref name="firstRoot"/>.</summary>
    public static bool VerifyConsistency(long first, long second, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot)
    {
        if (proof is null || first < 0 || second < first || firstRoot.Length != HashSize || secondRoot.Length != HashSize || proof.Any(p => p is null || p.Length != HashSize))
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(firstRoot, secondRoot);
        }

        if (first == 0)
        {
            // Every tree extends the empty tree; the empty root must still be the real one.
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(firstRoot, EmptyRoot());
        }

        if (proof.Count == 0)
        {
            return false;
        }

        var path = proof.ToList();
        // Step 2: if first is an exact power of 2, prepend first_hash.
        if ((first & (first - 1)) == 0)
        {
            path.Insert(0, firstRoot.ToArray());
        }

        ulong fn = (ulong)first - 1;
        ulong sn = (ulong)second - 1;
        // Step 4: while LSB(fn) is set, shift both right.
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        byte[] fr = path[0];
        byte[] sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = NodeHash(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0
            && CryptographicOperations.FixedTimeEquals(fr, firstRoot)
            && CryptographicOperations.FixedTimeEquals(sr, secondRoot);
    }

    private static void CheckSize(IReadOnlyList<byte[]> leafHashes, long size)
    {
        if (size < 0 || size > leafHashes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "tree size exceeds the leaves given");
        }
    }

    /// <summary>Largest power of two strictly less than <paramref name="n"/> (n ≥ 2).</summary>
    private static int Split(int n)
    {
        var k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }

        return k;
    }

    private static byte[] Subtree(IReadOnlyList<byte[]> leaves, int start, int count)
    {
        if (count == 1)
        {
            return leaves[start];
        }

        var k = Split(count);
        return NodeHash(Subtree(leaves, start, k), Subtree(leaves, start + k, count - k));
    }

    private static void Path(int m, int start, int count, IReadOnlyList<byte[]> leaves, List<byte[]> proof)
    {
        if (count == 1)
        {
            return;
        }

        var k = Split(count);
        if (m < k)
        {
            Path(m, start, k, leaves, proof);
            proof.Add(Subtree(leaves, start + k, count - k));
        }
        else
        {
            Path(m - k, start + k, count - k, leaves, proof);
            proof.Add(Subtree(leaves, start, k));
        }
    }

    private static void SubProof(int m, int start, int count, bool complete, IReadOnlyList<byte[]> leaves, List<byte[]> proof)
    {
        if (m == count)
        {
            if (!complete)
            {
                proof.Add(Subtree(leaves, start, count));
            }

            return;
        }

        var k = Split(count);
        if (m <= k)
        {
            SubProof(m, start, k, complete, leaves, proof);
            proof.Add(Subtree(leaves, start + k, count - k));
        }
        else
        {
            SubProof(m - k, start + k, count - k, false, leaves, proof);
            proof.Add(Subtree(leaves, start, k));
        }
    }
}
