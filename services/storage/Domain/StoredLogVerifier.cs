using Strongroom.KeyLog;
using Strongroom.Storage.Store;

namespace Strongroom.Storage.Domain;

/// <summary>
/// The operator's check of the stored log (VerifyKeyLog): every stored row re-read, parsed,
/// hashed and replayed, and compared with the signed checkpoints.
/// </summary>
public sealed class StoredLogVerifier(IStorageStore store, Checkpointer checkpointer)
{
    /// <summary>VerifyKeyLog: recomputes the root from the stored rows and compares with the latest checkpoint.</summary>
    public async Task<(bool Consistent, long Size, long FirstBad, string Detail)> VerifyAsync(CancellationToken ct)
    {
        var latest = await checkpointer.LatestCheckpointAsync(ct);
        var entries = await store.GetEntriesAsync(0, latest.TreeSize, ct);
        var leaves = entries.Select(e => MerkleTree.LeafHash(e.EntryJson)).ToList();
        for (var i = 0; i < entries.Count; i++)
        {
            try
            {
                _ = KeyLogEntry.Parse(entries[i].EntryJson);
            }
            catch (KeyLogFormatException ex)
            {
                return (false, latest.TreeSize, i, "entry is not a valid canonical entry: " + ex.Message);
            }
        }

        if (leaves.Count != latest.TreeSize)
        {
            return (false, latest.TreeSize, leaves.Count, "entries missing");
        }

        if (!MerkleTree.RootHash(leaves, leaves.Count).AsSpan().SequenceEqual(latest.RootHash))
        {
            // An edited entry i breaks every checkpoint larger than i and none at or below it: the
            // first broken checkpoint and the one before it bound i (exactly, when storage
            // checkpointed after every append).
            long lastGood = 0;
            foreach (var (treeSize, root) in await store.ListCheckpointRootsAsync(ct))
            {
                if (treeSize > leaves.Count || !MerkleTree.RootHash(leaves, treeSize).AsSpan().SequenceEqual(root))
                {
                    return (false, latest.TreeSize, lastGood, $"stored entries do not hash to the signed checkpoints from size {treeSize} on: an entry in [{lastGood}, {treeSize}) was changed");
                }

                lastGood = treeSize;
            }

            return (false, latest.TreeSize, 0, "stored entries do not hash to the latest checkpoint");
        }

        try
        {
            _ = KeyLogReplayer.Replay(entries.Select(e => e.EntryJson));
        }
        catch (KeyLogFormatException ex)
        {
            return (false, latest.TreeSize, 0, "log breaks its rules: " + ex.Message);
        }

        return (true, latest.TreeSize, 0, "");
    }
}
