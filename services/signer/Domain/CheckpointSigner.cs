using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Signer.Domain;

/// <summary>
/// C2SP signed notes (c2sp.org/signed-note) over C2SP tlog-checkpoint bodies, Ed25519 signature type
/// 0x01: key ID = SHA-256(name || "\n" || 0x01 || public key)[:4], signature line
/// <c>— name base64(key ID || signature)</c>. The key name is the log's origin.
/// </summary>
public static class SignedNote
{
    public const byte Ed25519Type = 0x01;

    public static string Body(string origin, ulong treeSize, ReadOnlySpan<byte> root) =>
        origin + "\n" + treeSize.ToString(CultureInfo.InvariantCulture) + "\n" + Convert.ToBase64String(root) + "\n";

    public static byte[] KeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        var input = new List<byte>(Encoding.UTF8.GetBytes(name)) { (byte)'\n', Ed25519Type };
        input.AddRange(publicKey.ToArray());
        return SHA256.HashData(input.ToArray())[..4];
    }

    public static string SignatureLine(string name, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature) =>
        "\u2014 " + name + " " + Convert.ToBase64String([.. KeyId(name, publicKey), .. signature]) + "\n";

    /// <summary>The verifier key clients pin: <c>name+hex(key ID)+base64(0x01 || public key)</c>.</summary>
    public static string VerifierKey(string name, ReadOnlySpan<byte> publicKey) =>
        name + "+" + Convert.ToHexStringLower(KeyId(name, publicKey)) + "+" + Convert.ToBase64String([Ed25519Type, .. publicKey]);

    /// <summary>Checks a note against one verifier key (used by tests and by anyone holding the pinned key).</summary>
    public static bool Verify(string note, string name, ReadOnlySpan<byte> publicKey)
    {
        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return false;
        }

        var body = note[..(split + 1)];
        var prefix = "\u2014 " + name + " ";
        foreach (var line in note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal) || !StrictBase64.TryDecode(line.AsSpan(prefix.Length), out var raw) || raw.Length != 4 + Ed25519PublicKey.SignatureSize)
            {
                continue;
            }

            if (raw.AsSpan(0, 4).SequenceEqual(KeyId(name, publicKey)) && Ed25519PublicKey.TryImport(publicKey, out var key)
                && key.Verify(Encoding.UTF8.GetBytes(body), raw.AsSpan(4)))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Signs key-log checkpoints with the log key, and only forward: a new checkpoint is signed after an
/// RFC 9162 consistency proof from the signer's own last checkpoint verifies, and that checkpoint
/// is replaced durably before the signature leaves. Storage therefore cannot obtain signatures on
/// two forks, on a truncated tree, or on another deployment's log.
/// </summary>
public sealed class CheckpointSigner(SignerKeys keys, SignerState state, SignerOptions options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Origin => options.Origin;

    public Task<SignedCheckpoint> LatestAsync(CancellationToken cancellationToken) => state.GetCheckpointAsync(cancellationToken);

    public async Task<SignedCheckpoint> SignAsync(ulong treeSize, byte[] rootHash, ulong fromTreeSize, IReadOnlyList<byte[]> proof, string? origin, CancellationToken cancellationToken)
    {
        if (rootHash.Length != MerkleConsistency.HashSize)
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

        if (treeSize == 0 && !rootHash.AsSpan().SequenceEqual(MerkleConsistency.EmptyRoot))
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

            var firstRoot = last.Note.Length == 0 ? MerkleConsistency.EmptyRoot : last.RootHash;
            if (!MerkleConsistency.Verify(lastSize, treeSize, firstRoot, rootHash, proof))
            {
                throw StrongroomException.FailedPrecondition("the consistency proof from the last signed checkpoint does not verify: the log was rewritten or forked");
            }

            var body = SignedNote.Body(options.Origin, treeSize, rootHash);
            using var lease = await keys.Custodian.AcquireAsync(options.LogKeyName, null, cancellationToken);
            var signature = lease.Handle<Ed25519KeyPair>().Sign(Encoding.UTF8.GetBytes(body));
            var note = body + "\n" + SignedNote.SignatureLine(options.Origin, lease.Version.PublicKey, signature);
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

    public void Dispose() => _gate.Dispose();
}
