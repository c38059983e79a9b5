using Strongroom.Core;
using Strongroom.KeyLog;
using Strongroom.Storage.Store;

namespace Strongroom.Storage.Domain;

/// <summary>
/// What readers see of the log: entries and RFC 9162 proofs, never past a stored checkpoint.
/// Proofs take their leaves from <see cref="LeafHashCache"/>, so they read only new entries.
/// </summary>
public sealed class LogReader(IStorageStore store, Checkpointer checkpointer, LeafHashCache leafHashes)
{
    public const int MaxEntriesPerPage = 1000;

    /// <summary>The latest checkpoint for 0, else the stored checkpoint of exactly <paramref name="requested"/> entries.</summary>
    private async Task<StoredCheckpoint> CheckpointOfSizeAsync(long requested, CancellationToken ct)
    {
        var latest = await checkpointer.LatestCheckpointAsync(ct);
        if (requested == 0)
        {
            return latest;
        }

        return await store.GetCheckpointAsync(requested, ct)
            ?? throw StrongroomException.NotFound($"checkpoint of size {requested}");
    }

    public async Task<IReadOnlyList<StoredEntry>> GetEntriesAsync(long start, long end, CancellationToken ct)
    {
        var size = (await checkpointer.LatestCheckpointAsync(ct)).TreeSize;
        if (end == 0)
        {
            // 0 = "as far as the latest checkpoint", like tree_size 0 elsewhere.
            end = size;
        }

        if (start < 0 || end < start)
        {
            throw StrongroomException.InvalidArgument("end_index", "must not be below start_index");
        }

        end = Math.Min(Math.Min(end, size), start + MaxEntriesPerPage);
        return start >= end ? [] : await store.GetEntriesAsync(start, end, ct);
    }

    public async Task<(long Index, long Size, IReadOnlyList<byte[]> Hashes)> InclusionProofAsync(long index, long treeSize, CancellationToken ct)
    {
        var checkpoint = await CheckpointOfSizeAsync(treeSize, ct);
        var size = checkpoint.TreeSize;
        if (index < 0 || index >= size)
        {
            throw StrongroomException.InvalidArgument("leaf_index", "outside the checkpointed tree");
        }

        var leaves = await leafHashes.LeavesAsync(checkpoint, ct);
        return (index, size, MerkleTree.InclusionProof(leaves, index, size));
    }

    public async Task<(long First, long Second, IReadOnlyList<byte[]> Hashes)> ConsistencyProofAsync(long first, long second, CancellationToken ct)
    {
        var checkpoint = await CheckpointOfSizeAsync(second, ct);
        var size = checkpoint.TreeSize;
        if (first < 0 || first > size)
        {
            throw StrongroomException.InvalidArgument("first_tree_size", "larger than the second tree");
        }

        var leaves = await leafHashes.LeavesAsync(checkpoint, ct);
        return (first, size, MerkleTree.ConsistencyProof(leaves, first, size));
    }
}
