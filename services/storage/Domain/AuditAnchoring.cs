using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Storage.Store;
using static Strongroom.Storage.Domain.KeyLogRules;

namespace Strongroom.Storage.Domain;

/// <summary>Audit-log heads of the services, anchored in the key log so an audit log cannot be rewritten unseen.</summary>
public sealed class AuditAnchoring(IStorageStore store, Checkpointer checkpointer, TimeProvider time)
{
    private long Now => time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>AnchorAuditHeads: one audit_anchor entry per head.</summary>
    public async Task<IReadOnlyList<StoredEntry>> AnchorAuditHeadsAsync(IReadOnlyList<(string Service, long Size, byte[] HeadHash)> heads, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(heads);
        if (heads.Count == 0 || heads.Count > 64)
        {
            throw StrongroomException.InvalidArgument("heads", "1-64 heads");
        }

        var now = Now;
        var entries = heads.Select(h =>
        {
            var service = ParseIdentity(h.Service, "service");
            if (h.HeadHash.Length != 32 || h.Size < 0)
            {
                throw StrongroomException.InvalidArgument("head_hash", "32 bytes and a non-negative size");
            }

            return new AuditAnchor { Time = now, Service = service.ToString(), Size = h.Size, HeadHash = StrictBase64.EncodeUrl(h.HeadHash) };
        }).ToList();
        var appended = await store.InLogTransactionAsync(async tx =>
        {
            var list = new List<StoredEntry>();
            foreach (var e in entries)
            {
                list.Add(await tx.AppendAsync(ToNew(e)));
            }

            return list;
        }, ct);
        await checkpointer.TryCheckpointAsync(ct);
        return appended;
    }
}
