using Strongroom.KeyLog;
using Strongroom.Storage.Store;

namespace Strongroom.Storage.Domain;

/// <summary>
/// The log's leaf hashes for proofs, kept between requests so a proof reads only the entries
/// appended since the last one instead of the whole log. Leaves are kept only as a prefix that
/// hashes to a stored checkpoint's root, so a row edited or lost behind storage's back is never
/// cached as truth; a request the cache cannot answer with its checkpoint's root is served from
/// the stored rows read whole, exactly as before the cache. The size to prove always comes from
/// the store's checkpoints, never from the cache: with several replicas over one database, each
/// catches up on the others' appends before it proves anything, and none serves a stale tree.
/// </summary>
public sealed class LeafHashCache(IStorageStore store)
{
    private readonly Lock _lock = new();

    // Replaced, never changed in place: a proof in flight keeps the leaves it read. Size and Root
    // are the checkpoint those leaves last hashed to, so repeated proofs against the same
    // checkpoint (the common case: the latest one) do not hash the whole prefix again.
    private Verified _verified = new([], 0, MerkleTree.EmptyRoot());

    /// <summary>How many leaves are held (for tests and diagnostics).</summary>
    public int CachedSize => Volatile.Read(ref _verified).Leaves.Length;

    /// <summary>
    /// Leaf hashes of the first <c>checkpoint.TreeSize</c> entries (the list may be longer: proofs
    /// take the size), consistent with <paramref name="checkpoint"/>'s root whenever the stored
    /// rows are.
    /// </summary>
    public async Task<IReadOnlyList<byte[]>> LeavesAsync(StoredCheckpoint checkpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var size = checkpoint.TreeSize;
        var verified = Volatile.Read(ref _verified);
        if (verified.Size == size && verified.Root.AsSpan().SequenceEqual(checkpoint.RootHash))
        {
            // These very leaves already hashed to this very checkpoint.
            return verified.Leaves;
        }

        var cached = verified.Leaves;
        var candidate = cached.Length >= size ? cached : await ExtendAsync(cached, size, ct);

        // Checked even when nothing was read: what the cache proves must hash to the checkpoint it proves against.
        if (candidate.Length >= size && MerkleTree.RootHash(candidate, size).AsSpan().SequenceEqual(checkpoint.RootHash))
        {
            Keep(new Verified(candidate, size, checkpoint.RootHash));
            return candidate;
        }

        // The stored rows (or this cache) do not match the signed root: nothing is kept, and the
        // proof is computed from the stored bytes as they are, so the client's check fails as it should.
        var count = Math.Min(size, await store.CountEntriesAsync(ct));
        var entries = await store.GetEntriesAsync(0, count, ct);
        return entries.Select(e => MerkleTree.LeafHash(e.EntryJson)).ToList();
    }

    /// <summary>The cached leaves followed by the hashes of entries [cached, size), read from the store.</summary>
    private async Task<byte[][]> ExtendAsync(byte[][] cached, long size, CancellationToken ct)
    {
        var fresh = await store.GetEntriesAsync(cached.Length, size, ct);
        var extended = new byte[cached.Length + fresh.Count][];
        cached.CopyTo(extended, 0);
        for (var i = 0; i < fresh.Count; i++)
        {
            extended[cached.Length + i] = MerkleTree.LeafHash(fresh[i].EntryJson);
        }

        return extended;
    }

    private void Keep(Verified verified)
    {
        lock (_lock)
        {
            // Every kept array is a prefix of the one signed log, so the longer one holds the shorter.
            if (verified.Leaves.Length >= _verified.Leaves.Length)
            {
                Volatile.Write(ref _verified, verified);
            }
        }
    }

    private sealed record Verified(byte[][] Leaves, long Size, byte[] Root);
}
