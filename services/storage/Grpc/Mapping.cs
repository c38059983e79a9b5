using Google.Protobuf;
using Strongroom.KeyLog;
using Strongroom.Storage.Store;
using Api = Strongroom.Storage.V1;

namespace Strongroom.Storage.Grpc;

internal static class Mapping
{
    public static Api.LogEntry ToLogEntry(StoredEntry entry) => new()
    {
        Index = (ulong)entry.Index,
        Type = entry.Type switch
        {
            KeyPublished.TypeName => Api.EntryType.Key,
            KeyStateChanged.TypeName or KeyVersionMarked.TypeName => Api.EntryType.KeyEvent,
            ClientRegistered.TypeName => Api.EntryType.ClientRegistration,
            AliasBound.TypeName => Api.EntryType.Alias,
            ClientKeysRevoked.TypeName => Api.EntryType.ClientRevocation,
            AuditAnchor.TypeName => Api.EntryType.AuditAnchor,
            _ => Api.EntryType.Unspecified,
        },
        EntryJson = ByteString.CopyFrom(entry.EntryJson),
        AppendTime = entry.AppendTime,
    };

    public static Api.Checkpoint ToCheckpoint(StoredCheckpoint checkpoint) => new()
    {
        Note = checkpoint.Note,
        TreeSize = (ulong)checkpoint.TreeSize,
        RootHash = ByteString.CopyFrom(checkpoint.RootHash),
    };

    // The proto's KeyKind and the log's share numbers (1..6).
    public static KeyKind? ToKind(Api.KeyKind kind) =>
        Enum.IsDefined((KeyKind)(int)kind) ? (KeyKind)(int)kind : null;

    public static Api.KeyKind ToApiKind(KeyKind kind) => (Api.KeyKind)(int)kind;

    public static long Index(ulong value, string field) =>
        value > long.MaxValue ? throw Core.StrongroomException.InvalidArgument(field, "too large") : (long)value;
}
