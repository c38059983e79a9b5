using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.KeyLog;
using Strongroom.Storage.Store;

namespace Strongroom.Storage.Domain;

/// <summary>
/// After every append the signer is asked for a checkpoint of the whole stored log, hashed from
/// the stored bytes each time (so an edited or truncated log is never checkpointed); readers only
/// ever see entries up to the latest one. The log verifier key is parsed on construction, so a
/// bad one stops storage at start.
/// </summary>
public sealed partial class Checkpointer(
    IStorageStore store,
    ICheckpointSigner checkpointSigner,
    StorageOptions options,
    ILogger<Checkpointer> logger) : IDisposable
{
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private readonly NoteVerifierKey? _logKey = string.IsNullOrWhiteSpace(options.LogVerifierKey) ? null : NoteVerifierKey.Parse(options.LogVerifierKey);

    public string Origin => Checkpoint.OriginFor(options.Deployment);

    public void Dispose() => _checkpointGate.Dispose();

    /// <summary>Checkpoints now; failures are logged and retried on the next append or RequestCheckpoint.</summary>
    public async Task TryCheckpointAsync(CancellationToken ct)
    {
        try
        {
            await CheckpointAsync(ct);
        }
        catch (StrongroomException ex)
        {
            LogCheckpointFailed(logger, ex.Message);
        }
    }

    /// <summary>
    /// Has the signer sign the current tree, proving consistency from the signer's own last
    /// checkpoint (which it reports; storage's record of it is not trusted for this).
    /// </summary>
    public async Task<StoredCheckpoint> CheckpointAsync(CancellationToken ct)
    {
        await _checkpointGate.WaitAsync(ct);
        try
        {
            var leaves = await StoredLeafHashesAsync(ct);
            var size = leaves.Count;
            if (await store.GetLatestCheckpointAsync(ct) is { } latest && latest.TreeSize == size)
            {
                return latest;
            }

            var root = MerkleTree.RootHash(leaves, size);
            var last = await checkpointSigner.GetLatestAsync(ct);
            if (last.TreeSize > size)
            {
                // The signer has seen a longer log than storage now holds: storage lost or truncated entries.
                throw StrongroomException.FailedPrecondition($"the signer's last checkpoint covers {last.TreeSize} entries but storage holds {size}");
            }

            var proof = MerkleTree.ConsistencyProof(leaves, last.TreeSize, size);
            var note = await checkpointSigner.SignAsync(Origin, size, root, last.TreeSize, proof, ct);
            if (_logKey is not null)
            {
                try
                {
                    var checkedNote = Checkpoint.Verify(note, _logKey, Origin);
                    if (checkedNote.Size != size || !checkedNote.RootHash.AsSpan().SequenceEqual(root))
                    {
                        throw StrongroomException.Unavailable("the signer returned a checkpoint for another tree");
                    }
                }
                catch (KeyLogFormatException ex)
                {
                    throw StrongroomException.Unavailable("the signer returned a checkpoint that does not verify: " + ex.Message);
                }
            }

            var stored = new StoredCheckpoint(size, root, note);
            await store.SaveCheckpointAsync(stored, ct);
            return stored;
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    public async Task<StoredCheckpoint> LatestCheckpointAsync(CancellationToken ct) =>
        await store.GetLatestCheckpointAsync(ct) ?? throw StrongroomException.Unavailable("no checkpoint yet");

    private async Task<List<byte[]>> StoredLeafHashesAsync(CancellationToken ct)
    {
        var entries = await store.GetEntriesAsync(0, await store.CountEntriesAsync(ct), ct);
        // Hashed from the stored bytes every time: a row edited behind storage's back changes the root.
        return entries.Select(e => MerkleTree.LeafHash(e.EntryJson)).ToList();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "checkpoint not signed now (retried on the next append or RequestCheckpoint): {Reason}")]
    private static partial void LogCheckpointFailed(ILogger logger, string reason);
}
