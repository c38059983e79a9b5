using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Storage.Domain;

namespace Strongroom.Storage.Tests.Support;

/// <summary>
/// A stand-in for the signer's SignCheckpoint, used because services/signer had not landed when
/// these tests were written: it holds its own Ed25519 log key and applies the signer's rule —
/// a new checkpoint only from its own last one, with a valid RFC 9162 consistency proof. It is a
/// test double of the signer, not the signer; the gRPC client storage uses in production
/// (<see cref="GrpcCheckpointSigner"/>) is not exercised here.
/// </summary>
public sealed class TestCheckpointSigner(string logOrigin) : ICheckpointSigner, IDisposable
{
    private readonly string _origin = logOrigin;

    public const string KeyName = "strongroom-test-log";

    private readonly Ed25519KeyPair _key = Ed25519KeyPair.Generate();
    private readonly Lock _lock = new();
    private long _size;
    private byte[] _root = MerkleTree.EmptyRoot();
    private string _note = "";

    public string Origin => _origin;

    public NoteVerifierKey Verifier => new(KeyName, _key.PublicKey);

    /// <summary>A checkpoint note by the log key over whatever tree the test names (the client suite forks the log with it).</summary>
    public string SignNote(long size, byte[] root) => Checkpoint.Sign(_origin, size, root, _key, KeyName);

    public int Refusals { get; private set; }

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
            if (origin != _origin || fromTreeSize != _size || !MerkleTree.VerifyConsistency(_size, treeSize, consistencyProof, _root, rootHash))
            {
                Refusals++;
                throw StrongroomException.FailedPrecondition("not consistent with the signer's last checkpoint");
            }

            _note = Checkpoint.Sign(_origin, treeSize, rootHash, _key, KeyName);
            _size = treeSize;
            _root = rootHash;
            return Task.FromResult(_note);
        }
    }

    public void Dispose() => _key.Dispose();
}
