using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Storage.Domain;

namespace Strongroom.Client.Tests.Support;

/// <summary>
/// A stand-in for the signer's SignCheckpoint, like the storage suite's TestCheckpointSigner (a new
/// checkpoint only from its own last one, with a valid consistency proof), but it also signs any
/// note on demand: the tests need checkpoints signed by the real log key over a forked tree.
/// </summary>
public sealed class LogSigner(string origin) : ICheckpointSigner, IDisposable
{
    public const string KeyName = "strongroom-test-log";

    private readonly Ed25519KeyPair _key = Ed25519KeyPair.Generate();
    private readonly Lock _lock = new();
    private long _size;
    private byte[] _root = MerkleTree.EmptyRoot();
    private string _note = "";

    public string Origin { get; } = origin;

    public NoteVerifierKey Verifier => new(KeyName, _key.PublicKey);

    /// <summary>A checkpoint note by the real log key over whatever tree the test names.</summary>
    public string SignNote(long size, byte[] root) => Checkpoint.Sign(Origin, size, root, _key, KeyName);

    public Task<SignerCheckpoint> GetLatestAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(new SignerCheckpoint(_size, _root, _note));
        }
    }

    public Task<string> SignAsync(string origin, long treeSize, byte[] rootHash, long fromTreeSize, IReadOnlyList<byte[]> consistencyProof, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (origin != Origin || fromTreeSize != _size || !MerkleTree.VerifyConsistency(_size, treeSize, consistencyProof, _root, rootHash))
            {
                throw StrongroomException.FailedPrecondition("not consistent with the signer's last checkpoint");
            }

            _note = Checkpoint.Sign(Origin, treeSize, rootHash, _key, KeyName);
            _size = treeSize;
            _root = rootHash;
            return Task.FromResult(_note);
        }
    }

    public void Dispose() => _key.Dispose();
}
