using Google.Protobuf;
using Grpc.Core;
using Strongroom.Core;
using SignerApi = Strongroom.Signer.V1;

namespace Strongroom.Storage.Domain;

/// <summary>SignCheckpoint over mTLS to the signer (its certificate must name <c>signer</c>).</summary>
public sealed class GrpcCheckpointSigner(CallInvoker invoker) : ICheckpointSigner
{
    private readonly SignerApi.Signer.SignerClient _client = new(invoker);

    public async Task<SignerCheckpoint> GetLatestAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetLatestCheckpointAsync(new SignerApi.GetLatestCheckpointRequest(), cancellationToken: cancellationToken);
            var c = response.Checkpoint ?? new SignerApi.Checkpoint();
            return new SignerCheckpoint((long)c.TreeSize, c.RootHash.ToByteArray(), c.Note);
        }
        catch (RpcException ex)
        {
            throw StrongroomException.Unavailable("the signer did not answer GetLatestCheckpoint: " + ex.StatusCode);
        }
    }

    public async Task<string> SignAsync(string origin, long treeSize, byte[] rootHash, long fromTreeSize, IReadOnlyList<byte[]> consistencyProof, CancellationToken cancellationToken)
    {
        var request = new SignerApi.SignCheckpointRequest
        {
            TreeSize = (ulong)treeSize,
            RootHash = ByteString.CopyFrom(rootHash),
            FromTreeSize = (ulong)fromTreeSize,
            Origin = origin,
        };
        request.ConsistencyProof.AddRange(consistencyProof.Select(ByteString.CopyFrom));
        try
        {
            var response = await _client.SignCheckpointAsync(request, cancellationToken: cancellationToken);
            return response.Checkpoint.Note;
        }
        catch (RpcException ex)
        {
            throw StrongroomException.Unavailable("the signer refused or did not answer SignCheckpoint: " + ex.StatusCode);
        }
    }
}
