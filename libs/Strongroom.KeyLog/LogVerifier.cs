namespace Strongroom.KeyLog;

/// <summary>
/// A client's view of the key log: it pins one checkpoint (signed by a log key it was given out of
/// band, never learned from storage) and accepts a newer one only with a consistency proof from
/// the pinned one, so storage cannot rewrite, truncate or fork what the client has seen. Entries
/// are believed only with an inclusion proof against the pinned checkpoint.
/// </summary>
public sealed class LogVerifier
{
    private readonly NoteVerifierKey _logKey;
    private readonly string _origin;

    public LogVerifier(NoteVerifierKey logKey, string origin)
    {
        _logKey = logKey ?? throw new ArgumentNullException(nameof(logKey));
        _origin = origin ?? throw new ArgumentNullException(nameof(origin));
    }

    /// <summary>The checkpoint currently pinned (null before the first).</summary>
    public Checkpoint? Pinned { get; private set; }

    /// <summary>
    /// Verifies <paramref name="note"/>'s signature and, when a checkpoint is already pinned,
    /// the consistency proof from it; then pins the new one. Throws <see cref="KeyLogFormatException"/>
    /// on any failure and keeps the old pin.
    /// </summary>
    public Checkpoint Advance(string note, IReadOnlyList<byte[]>? consistencyProof = null)
    {
        var next = Checkpoint.Verify(note, _logKey, _origin);
        if (Pinned is { } pinned)
        {
            if (next.Size < pinned.Size)
            {
                throw new KeyLogFormatException("checkpoint is older than the pinned one (log truncated?)");
            }

            if (!MerkleTree.VerifyConsistency(pinned.Size, next.Size, consistencyProof ?? [], pinned.RootHash, next.RootHash))
            {
                throw new KeyLogFormatException("consistency proof fails: the log is not an extension of the pinned checkpoint");
            }
        }

        Pinned = next;
        return next;
    }

    /// <summary>True when <paramref name="entryJson"/> is leaf <paramref name="index"/> of the pinned tree.</summary>
    public bool VerifyInclusion(ReadOnlySpan<byte> entryJson, long index, IReadOnlyList<byte[]> proof)
    {
        var pinned = Pinned ?? throw new InvalidOperationException("no checkpoint pinned");
        return MerkleTree.VerifyInclusion(index, pinned.Size, MerkleTree.LeafHash(entryJson), proof, pinned.RootHash);
    }

    /// <summary>
    /// Checks that <paramref name="entries"/> are exactly the pinned tree's leaves, then replays them:
    /// what the SDK and runner do to learn every key's current state.
    /// </summary>
    public KeyLogReplayer ReplayAll(IReadOnlyList<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var pinned = Pinned ?? throw new InvalidOperationException("no checkpoint pinned");
        if (entries.Count != pinned.Size)
        {
            throw new KeyLogFormatException("entry count differs from the pinned tree size");
        }

        var leaves = entries.Select(e => MerkleTree.LeafHash(e)).ToList();
        if (!MerkleTree.RootHash(leaves, leaves.Count).AsSpan().SequenceEqual(pinned.RootHash))
        {
            throw new KeyLogFormatException("entries do not hash to the pinned checkpoint");
        }

        return KeyLogReplayer.Replay(entries);
    }
}
