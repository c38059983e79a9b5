using Google.Protobuf;
using Grpc.Core;
using Strongroom.Audit.V1;

namespace Strongroom.Hosting.Audit;

/// <summary>Serves the audit head on the admin listener so an operator can anchor it in the key log.</summary>
public sealed class AuditLogService(AuditTrail log, ServiceIdentity self) : AuditLog.AuditLogBase
{
    public override Task<GetAuditHeadResponse> GetAuditHead(GetAuditHeadRequest request, ServerCallContext context)
    {
        var head = log.Head;
        return Task.FromResult(new GetAuditHeadResponse
        {
            Service = self.Identity.ToString(),
            Size = head.Size,
            HeadHash = ByteString.CopyFrom(head.Hash),
            HeadTime = head.Time,
        });
    }
}
