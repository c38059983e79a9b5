using Grpc.Core;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Client;

/// <summary>
/// The four key-log reads the SDK needs from storage, behind an interface so the verification
/// logic can be fed any answers (a real storage, or one that lies) in tests.
/// </summary>
public interface IKeyLogSource
{
    Task<StorageApi.Checkpoint> GetCheckpointAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long leafIndex, long treeSize, CancellationToken cancellationToken);

    Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long firstTreeSize, long secondTreeSize, CancellationToken cancellationToken);

    /// <summary>The key and every entry naming it; null when storage has no such key.</summary>
    Task<StorageApi.LookupKeyResponse?> LookupKeyAsync(StorageApi.LookupKeyRequest request, CancellationToken cancellationToken);
}

/// <summary><see cref="IKeyLogSource"/> over storage's gRPC API (directly or through the edge).</summary>
public sealed class GrpcKeyLogSource(StorageApi.Storage.StorageClient storage) : IKeyLogSource
{
    public async Task<StorageApi.Checkpoint> GetCheckpointAsync(CancellationToken cancellationToken) =>
        (await storage.GetCheckpointAsync(new StorageApi.GetCheckpointRequest(), cancellationToken: cancellationToken)).Checkpoint
        ?? throw new KeyLogVerificationException("storage answered no checkpoint");

    public async Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long leafIndex, long treeSize, CancellationToken cancellationToken)
    {
        var response = await storage.GetInclusionProofAsync(
            new StorageApi.GetInclusionProofRequest { LeafIndex = (ulong)leafIndex, TreeSize = (ulong)treeSize }, cancellationToken: cancellationToken);
        // A proof for another index or tree than asked would verify something else: refuse it here.
        if (response.LeafIndex != (ulong)leafIndex || response.TreeSize != (ulong)treeSize)
        {
            throw new KeyLogVerificationException($"storage answered an inclusion proof for leaf {response.LeafIndex} of {response.TreeSize}, not {leafIndex} of {treeSize}");
        }

        return response.Hashes.Select(h => h.ToByteArray()).ToList();
    }

    public async Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long firstTreeSize, long secondTreeSize, CancellationToken cancellationToken)
    {
        var response = await storage.GetConsistencyProofAsync(
            new StorageApi.GetConsistencyProofRequest { FirstTreeSize = (ulong)firstTreeSize, SecondTreeSize = (ulong)secondTreeSize }, cancellationToken: cancellationToken);
        if (response.FirstTreeSize != (ulong)firstTreeSize || response.SecondTreeSize != (ulong)secondTreeSize)
        {
            throw new KeyLogVerificationException($"storage answered a consistency proof for {response.FirstTreeSize}→{response.SecondTreeSize}, not {firstTreeSize}→{secondTreeSize}");
        }

        return response.Hashes.Select(h => h.ToByteArray()).ToList();
    }

    public async Task<StorageApi.LookupKeyResponse?> LookupKeyAsync(StorageApi.LookupKeyRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await storage.LookupKeyAsync(request, cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }
}

/// <summary>The key log (or what storage answered about it) cannot be believed; the message says why.</summary>
public sealed class KeyLogVerificationException : StrongroomClientException
{
    public override ClientError Error => ClientError.Unverified;

    public KeyLogVerificationException()
    {
    }

    public KeyLogVerificationException(string message)
        : base(message)
    {
    }

    public KeyLogVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
