using Grpc.Core;
using Strongroom.Storage.Domain;
using Api = Strongroom.Storage.V1;

namespace Strongroom.Storage.Grpc;

/// <summary>Operator-only methods (admin listener).</summary>
public sealed class StorageAdminGrpc(AuditAnchoring anchoring, ClientRegistry clients, Checkpointer checkpointer, StoredLogVerifier verifier) : Api.StorageAdmin.StorageAdminBase
{
    public override async Task<Api.AnchorAuditHeadsResponse> AnchorAuditHeads(Api.AnchorAuditHeadsRequest request, ServerCallContext context)
    {
        var entries = await anchoring.AnchorAuditHeadsAsync(
            request.Heads.Select(h => (h.Service, Mapping.Index(h.Size, "size"), h.HeadHash.ToByteArray())).ToList(), context.CancellationToken);
        var response = new Api.AnchorAuditHeadsResponse { Entry = Mapping.ToLogEntry(entries[^1]) };
        response.Entries.AddRange(entries.Select(Mapping.ToLogEntry));
        return response;
    }

    public override async Task<Api.RevokeClientKeyResponse> RevokeClientKey(Api.RevokeClientKeyRequest request, ServerCallContext context) =>
        new() { Entry = Mapping.ToLogEntry(await clients.RevokeClientKeyAsync(request.RevocationJws, context.CancellationToken)) };

    public override async Task<Api.RequestCheckpointResponse> RequestCheckpoint(Api.RequestCheckpointRequest request, ServerCallContext context) =>
        new() { Checkpoint = Mapping.ToCheckpoint(await checkpointer.CheckpointAsync(context.CancellationToken)) };

    public override async Task<Api.VerifyKeyLogResponse> VerifyKeyLog(Api.VerifyKeyLogRequest request, ServerCallContext context)
    {
        var (consistent, size, firstBad, detail) = await verifier.VerifyAsync(context.CancellationToken);
        return new Api.VerifyKeyLogResponse { Consistent = consistent, TreeSize = (ulong)size, FirstBadIndex = (ulong)firstBad, Detail = detail };
    }
}
