using System.Text.Json.Nodes;
using static Strongroom.KeyLog.EntrySchema;

namespace Strongroom.KeyLog;

/// <summary><c>audit_anchor</c>: one service's audit-log head, anchored by an operator.</summary>
public sealed record AuditAnchor : KeyLogEntry
{
    public const string TypeName = "audit_anchor";

    public required string Service { get; init; }

    public required long Size { get; init; }

    /// <summary>base64url of the 32-byte chain hash.</summary>
    public required string HeadHash { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [];

    protected override void AddMembers(JsonObject obj)
    {
        obj["service"] = Service;
        obj["size"] = Size;
        obj["head_hash"] = HeadHash;
    }

    internal static AuditAnchor From(JsonObject obj, long time)
    {
        Exactly(obj, "service", "size", "head_hash");
        var size = Int(obj, "size");
        if (size < 0)
        {
            throw new KeyLogFormatException("'size' is negative");
        }

        return new AuditAnchor { Time = time, Service = CheckIdentity(Str(obj, "service"), "service"), Size = size, HeadHash = Digest(Str(obj, "head_hash"), "head_hash") };
    }
}
