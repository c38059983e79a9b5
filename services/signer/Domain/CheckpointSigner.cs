using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;

namespace Strongroom.Signer.Domain;

/// <summary>
/// Signs key-log checkpoints with the log key, and only forward: a new checkpoint is signed after an
/// RFC 9162 consistency proof from the signer's own last checkpoint verifies, and that checkpoint
/// is replaced durably before the signature leaves. Storage therefore cannot obtain signatures on
/// two forks, on a truncated tree, or on another deployment's log. Proof verification and the C2SP
/// signed-note format come from libs/Strongroom.KeyLog, shared with storage and clients.
/// </summary>
public sealed class CheckpointSigner(SigningKeySet keys, SignerState state, SignerOptions options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Origin => options.Origin;

    public Task<SignedCheckpoint> LatestAsync(CancellationToken cancellationToken) => state.GetCheckpointAsync(cancellationToken);

    public async Task<SignedCheckpoint> SignAsync(ulong treeSize, byte[] rootHash, ulong fromTreeSize, IReadOnlyList<byte[]> proof, string? origin, CancellationToken cancellationToken)
    {
        if (rootHash.Length != MerkleTree.HashSize)
        {
            throw StrongroomException.InvalidArgument("root_hash", "must be a 32-byte SHA-256 root");
        }

        if (treeSize > long.MaxValue)
        {
            throw StrongroomException.InvalidArgument("tree_size", "too large");
        }

        if (!string.IsNullOrEmpty(origin) && origin != options.Origin)
        {
            throw StrongroomException.FailedPrecondition($"this signer signs checkpoints of {options.Origin} only");
        }

        if (treeSize == 0 && !rootHash.AsSpan().SequenceEqual(MerkleTree.EmptyRoot()))
        {
            throw StrongroomException.FailedPrecondition("the empty tree's root is SHA-256 of nothing");
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var last = await state.GetCheckpointAsync(cancellationToken);
            var lastSize = (ulong)last.TreeSize;
            if (treeSize < lastSize)
            {
                throw StrongroomException.FailedPrecondition($"tree size {treeSize} is smaller than the last signed size {lastSize}: a truncated log");
            }

            if (fromTreeSize != lastSize)
            {
                throw StrongroomException.FailedPrecondition($"the proof must start from the last signed size {lastSize}, not {fromTreeSize}");
            }

            if (treeSize == lastSize && last.Note.Length > 0)
            {
                if (proof.Count == 0 && rootHash.AsSpan().SequenceEqual(last.RootHash))
                {
                    return last;
                }

                throw StrongroomException.FailedPrecondition("another root for the last signed size: a forked log");
            }

            var firstRoot = last.Note.Length == 0 ? MerkleTree.EmptyRoot() : last.RootHash;
            if (!MerkleTree.VerifyConsistency((long)lastSize, (long)treeSize, proof, firstRoot, rootHash))
            {
                throw StrongroomException.FailedPrecondition("the consistency proof from the last signed checkpoint does not verify: the log was rewritten or forked");
            }

            // The note's key name is the origin, so the verifier key names the log it verifies.
            using var lease = await keys.Custodian.AcquireAsync(options.LogKeyName, null, cancellationToken);
            var note = Checkpoint.Sign(options.Origin, (long)treeSize, rootHash, lease.Handle<Ed25519KeyPair>(), options.Origin);
            var next = new SignedCheckpoint((long)treeSize, rootHash, note, time.GetUtcNow().ToUnixTimeSeconds());
            if (!await state.TryAdvanceCheckpointAsync(last, next, cancellationToken))
            {
                throw StrongroomException.FailedPrecondition("the last checkpoint changed meanwhile; fetch it and prove from it");
            }

            return next;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The note verifier key clients pin for the log key's <paramref name="publicKey"/>.</summary>
    public string VerifierKey(byte[] publicKey) => new NoteVerifierKey(options.Origin, Ed25519PublicKey.Import(publicKey)).ToString();

    /// <summary>The signature line(s) of a signed note: what follows the blank line.</summary>
    public static string SignatureLines(string note) => note[(note.LastIndexOf("\n\n", StringComparison.Ordinal) + 2)..];

    public void Dispose() => _gate.Dispose();
}
