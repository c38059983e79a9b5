using System.Security.Cryptography;

namespace Strongroom.KeyLog.Tests;

/// <summary>
/// RFC 9162 hashing and proofs, checked against an independent, deliberately naive recursive
/// implementation written from the RFC's definitions (MTH, PATH, PROOF/SUBPROOF) over every size
/// 1..64, plus known answers and tampering.
/// </summary>
public sealed class MerkleTreeTests
{
    private static List<byte[]> Leaves(int n) =>
        Enumerable.Range(0, n).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToList();

    // ---- the reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 written literally over byte lists ----
    private static byte[] RefMth(List<byte[]> d)
    {
        if (d.Count == 0)
        {
            return SHA256.HashData([]);
        }

        if (d.Count == 1)
        {
            return d[0];
        }

        var k = 1;
        while (k * 2 < d.Count)
        {
            k *= 2;
        }

        return SHA256.HashData([0x01, .. RefMth(d[..k]), .. RefMth(d[k..])]);
    }

    private static List<byte[]> RefPath(int m, List<byte[]> d)
    {
        if (d.Count <= 1)
        {
            return [];
        }

        var k = 1;
        while (k * 2 < d.Count)
        {
            k *= 2;
        }

        return m < k ? [.. RefPath(m, d[..k]), RefMth(d[k..])] : [.. RefPath(m - k, d[k..]), RefMth(d[..k])];
    }

    private static List<byte[]> RefSubproof(int m, List<byte[]> d, bool b)
    {
        if (m == d.Count)
        {
            return b ? [] : [RefMth(d)];
        }

        var k = 1;
        while (k * 2 < d.Count)
        {
            k *= 2;
        }

        return m <= k ? [.. RefSubproof(m, d[..k], b), RefMth(d[k..])] : [.. RefSubproof(m - k, d[k..], false), RefMth(d[..k])];
    }

    [Fact]
    public void The_empty_tree_hashes_to_sha256_of_the_empty_string()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleTree.RootHash([], 0)));
    }

    [Fact]
    public void Leaf_and_node_hashes_are_domain_separated_as_rfc_9162_says()
    {
        Assert.Equal(SHA256.HashData([0x00, 1, 2, 3]), MerkleTree.LeafHash([1, 2, 3]));
        var l = new byte[32];
        var r = Enumerable.Repeat((byte)0xff, 32).ToArray();
        Assert.Equal(SHA256.HashData([0x01, .. l, .. r]), MerkleTree.NodeHash(l, r));
        // A one-leaf tree's root is its leaf hash.
        var leaves = Leaves(1);
        Assert.Equal(leaves[0], MerkleTree.RootHash(leaves, 1));
    }

    [Fact]
    public void Roots_inclusion_and_consistency_proofs_match_the_reference_for_every_size_up_to_64()
    {
        var all = Leaves(64);
        for (var n = 1; n <= 64; n++)
        {
            var d = all[..n];
            var root = MerkleTree.RootHash(all, n);
            Assert.Equal(RefMth(d), root);
            for (var m = 0; m < n; m++)
            {
                var proof = MerkleTree.InclusionProof(all, m, n);
                Assert.Equal(RefPath(m, d), proof);
                Assert.True(MerkleTree.VerifyInclusion(m, n, all[m], proof, root), $"inclusion {m} of {n}");
            }

            for (var m = 1; m <= n; m++)
            {
                var proof = MerkleTree.ConsistencyProof(all, m, n);
                Assert.Equal(m == n ? [] : RefSubproof(m, d, true), proof);
                Assert.True(MerkleTree.VerifyConsistency(m, n, proof, RefMth(all[..m]), root), $"consistency {m} to {n}");
            }
        }
    }

    [Fact]
    public void Tampered_inclusion_proofs_fail()
    {
        var all = Leaves(37);
        var root = MerkleTree.RootHash(all, 37);
        for (var m = 0; m < 37; m++)
        {
            var proof = MerkleTree.InclusionProof(all, m, 37).Select(p => (byte[])p.Clone()).ToList();
            Assert.False(MerkleTree.VerifyInclusion(m, 37, all[(m + 1) % 37], proof, root));
            Assert.False(MerkleTree.VerifyInclusion((m + 1) % 37, 37, all[m], proof, root));
            Assert.False(MerkleTree.VerifyInclusion(m, 37, all[m], proof[..^1], root));
            Assert.False(MerkleTree.VerifyInclusion(m, 37, all[m], [.. proof, new byte[32]], root));
            proof[0][5] ^= 1;
            Assert.False(MerkleTree.VerifyInclusion(m, 37, all[m], proof, root));
        }
    }

    [Fact]
    public void A_truncated_or_forked_tree_fails_the_consistency_proof()
    {
        var all = Leaves(20);
        var old = MerkleTree.RootHash(all, 13);
        var forked = all.Select(l => l).ToList();
        forked[12] = MerkleTree.LeafHash([0xde, 0xad]);
        var forkedRoot = MerkleTree.RootHash(forked, 20);
        // A fork: the new tree does not extend the old one at leaf 12.
        Assert.False(MerkleTree.VerifyConsistency(13, 20, MerkleTree.ConsistencyProof(forked, 13, 20), old, forkedRoot));
        // A truncation: the new tree is smaller.
        Assert.False(MerkleTree.VerifyConsistency(13, 10, MerkleTree.ConsistencyProof(all, 10, 13), old, MerkleTree.RootHash(all, 10)));
        // Every byte of an honest proof matters.
        var proof = MerkleTree.ConsistencyProof(all, 13, 20).Select(p => (byte[])p.Clone()).ToList();
        var root = MerkleTree.RootHash(all, 20);
        Assert.True(MerkleTree.VerifyConsistency(13, 20, proof, old, root));
        Assert.False(MerkleTree.VerifyConsistency(13, 20, proof[..^1], old, root));
        Assert.False(MerkleTree.VerifyConsistency(12, 20, proof, old, root));
        Assert.False(MerkleTree.VerifyConsistency(13, 20, [], old, root));
        proof[^1][0] ^= 0x80;
        Assert.False(MerkleTree.VerifyConsistency(13, 20, proof, old, root));
    }

    [Fact]
    public void Consistency_from_the_empty_tree_needs_the_real_empty_root()
    {
        var all = Leaves(5);
        Assert.True(MerkleTree.VerifyConsistency(0, 5, [], MerkleTree.EmptyRoot(), MerkleTree.RootHash(all, 5)));
        Assert.False(MerkleTree.VerifyConsistency(0, 5, [], new byte[32], MerkleTree.RootHash(all, 5)));
    }
}
