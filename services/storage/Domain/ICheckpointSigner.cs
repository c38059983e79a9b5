namespace Strongroom.Storage.Domain;

/// <summary>The signer's last checkpoint as it reports it (size 0 and no note before the first).</summary>
public sealed record SignerCheckpoint(long TreeSize, byte[] RootHash, string Note);

/// <summary>
/// Who signs checkpoints: the signer's log key (SignCheckpoint). The signer grants a new checkpoint
/// only with a valid consistency proof from the last one it signed, so storage cannot fork the log.
/// </summary>
public interface ICheckpointSigner
{
    Task<SignerCheckpoint> GetLatestAsync(CancellationToken cancellationToken);

    /// <summary>Returns the signed note for (<paramref name="treeSize"/>, <paramref name="rootHash"/>) of the log named <paramref name="origin"/>.</summary>
    Task<string> SignAsync(string origin, long treeSize, byte[] rootHash, long fromTreeSize, IReadOnlyList<byte[]> consistencyProof, CancellationToken cancellationToken);
}
