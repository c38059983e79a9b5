using System.Security.Cryptography;
using System.Text;
using Strongroom.Signer.Tests.Support;
using LogMerkle = Strongroom.KeyLog.MerkleTree;

namespace Strongroom.Signer.Tests;

/// <summary>
/// The RFC 9162 consistency-proof verifier the signer relies on (libs/Strongroom.KeyLog's), against
/// proofs generated here from the RFC's recursive definitions: known answers, every size pair up to
/// 40, and every tampering.
/// </summary>
public sealed class MerkleConsistencyTests
{
    private static bool Verify(ulong first, ulong second, byte[] firstRoot, byte[] secondRoot, IReadOnlyList<byte[]> proof) =>
        LogMerkle.VerifyConsistency((long)first, (long)second, proof, firstRoot, secondRoot);

    private static ReferenceMerkleTree Tree(int size)
    {
        var tree = new ReferenceMerkleTree();
        for (var i = 0; i < size; i++)
        {
            tree.Append(Encoding.ASCII.GetBytes("entry-" + i));
        }

        return tree;
    }

    [Fact]
    public void Known_answers_the_empty_tree_and_the_RFC_6962_empty_leaf()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(LogMerkle.EmptyRoot()));
        // RFC 6962 / certificate-transparency test vector: the leaf hash of the empty entry.
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Convert.ToHexStringLower(ReferenceMerkleTree.LeafHash([])));
    }

    [Fact]
    public void Known_answer_a_three_leaf_tree_proves_consistency_with_its_two_leaf_prefix()
    {
        // Computed by hand from the definitions: root2 = H(1||l0||l1), root3 = H(1||root2||l2), proof = [l2].
        var l = Enumerable.Range(0, 3).Select(i => SHA256.HashData([0x00, (byte)i])).ToArray();
        var root2 = SHA256.HashData([0x01, .. l[0], .. l[1]]);
        var root3 = SHA256.HashData([0x01, .. root2, .. l[2]]);
        Assert.True(Verify(2, 3, root2, root3, [l[2]]));
        Assert.False(Verify(2, 3, root2, root3, [l[1]]));
        Assert.False(Verify(2, 3, root3, root2, [l[2]]));
    }

    [Fact]
    public void Every_proof_between_sizes_up_to_40_verifies()
    {
        var tree = Tree(40);
        for (var n = 1; n <= 40; n++)
        {
            for (var m = 1; m <= n; m++)
            {
                Assert.True(Verify((ulong)m, (ulong)n, tree.Root(m), tree.Root(n), tree.ConsistencyProof(m, n)), $"{m} -> {n}");
            }
        }
    }

    [Fact]
    public void Any_changed_proof_node_or_root_and_any_added_or_dropped_node_fails()
    {
        var tree = Tree(23);
        for (var n = 2; n <= 23; n++)
        {
            for (var m = 1; m < n; m++)
            {
                var proof = tree.ConsistencyProof(m, n);
                for (var i = 0; i < proof.Count; i++)
                {
                    var bad = proof.Select(p => (byte[])p.Clone()).ToList();
                    bad[i][0] ^= 1;
                    Assert.False(Verify((ulong)m, (ulong)n, tree.Root(m), tree.Root(n), bad), $"node {i} of {m} -> {n}");
                }

                Assert.False(Verify((ulong)m, (ulong)n, tree.Root(m), tree.Root(n - 1), proof), $"second root of {m} -> {n}");
                if (m > 1)
                {
                    Assert.False(Verify((ulong)m, (ulong)n, tree.Root(m - 1), tree.Root(n), proof), $"first root of {m} -> {n}");
                }

                Assert.False(Verify((ulong)m, (ulong)n, tree.Root(m), tree.Root(n), [.. proof, new byte[32]]), $"extra node on {m} -> {n}");
                if (proof.Count > 0)
                {
                    Assert.False(Verify((ulong)m, (ulong)n, tree.Root(m), tree.Root(n), proof.Take(proof.Count - 1).ToList()), $"short proof on {m} -> {n}");
                }
            }
        }
    }

    [Fact]
    public void A_forked_tree_of_the_same_size_does_not_prove_consistency()
    {
        var honest = Tree(10);
        var forked = Tree(6);
        for (var i = 6; i < 10; i++)
        {
            forked.Append(Encoding.ASCII.GetBytes("fork-" + i));
        }

        var forkedWithChangedPast = new ReferenceMerkleTree();
        for (var i = 0; i < 12; i++)
        {
            forkedWithChangedPast.Append(Encoding.ASCII.GetBytes(i == 3 ? "rewritten" : "entry-" + i));
        }

        Assert.False(Verify(8, 12, honest.Root(8), forkedWithChangedPast.Root(12), forkedWithChangedPast.ConsistencyProof(8, 12)));
        Assert.False(Verify(10, 10, honest.Root(10), forked.Root(10), []));
        Assert.False(Verify(10, 7, honest.Root(10), honest.Root(7), honest.ConsistencyProof(7, 10)));
    }
}
