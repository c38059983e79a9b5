using System.Text.Json.Nodes;
using Strongroom.Core;
using Strongroom.KeyLog;
using Strongroom.Storage.Store;
using static Strongroom.Storage.Domain.KeyLogRules;

namespace Strongroom.Storage.Domain;

/// <summary>Keys as readers find them: by kid, alias or fingerprint up to the latest checkpoint, and as JWK Sets.</summary>
public sealed class KeyLookup(IStorageStore store)
{
    /// <summary>LookupKey: the key row and every entry naming it (up to the latest checkpoint).</summary>
    public async Task<(StoredKey Key, IReadOnlyList<StoredEntry> Entries)> LookupAsync(string? kid, string? alias, string? fingerprint, CancellationToken ct)
    {
        var resolved = kid is { Length: > 0 } ? kid
            : alias is { Length: > 0 } ? await store.FindKidByAliasAsync(alias, ct)
            : fingerprint is { Length: > 0 } ? await store.FindKidByFingerprintAsync(fingerprint, ct)
            : throw StrongroomException.InvalidArgument("selector", "kid, alias or openssh_fingerprint");
        var key = resolved is null ? null : await store.FindKeyAsync(resolved, ct);
        var size = (await store.GetLatestCheckpointAsync(ct))?.TreeSize ?? 0;
        if (key is null || key.EntryIndex >= size)
        {
            throw StrongroomException.NotFound("key");
        }

        var entries = (await store.GetEntriesNamingAsync(key.Kid, ct)).Where(e => e.Index < size).ToList();
        return (key, entries);
    }

    /// <summary>Every published key of <paramref name="kinds"/> that is not revoked, as a JWK Set.</summary>
    public async Task<string> JwksAsync(IReadOnlyCollection<KeyKind> kinds, CancellationToken ct)
    {
        var keys = new JsonArray();
        foreach (var key in await store.ListKeysAsync(ct))
        {
            var kind = KindOf(key.Kind);
            if (kinds.Count > 0 && !kinds.Contains(kind))
            {
                continue;
            }

            // DESIGN §3.4: every version that is not revoked (destroyed keys still verify older signatures).
            if (KeyStateOf(await store.GetEntriesNamingAsync(key.Kid, ct)) == KeyState.Revoked)
            {
                continue;
            }

            keys.Add(JsonNode.Parse(key.JwkJson));
        }

        return new JsonObject { ["keys"] = keys }.ToJsonString();
    }

    /// <summary>The current state of a key, replayed from the entries naming it.</summary>
    public async Task<(StoredKey Key, KeyState State)?> KeyWithStateAsync(string kid, CancellationToken ct)
    {
        var key = await store.FindKeyAsync(kid, ct);
        return key is null ? null : (key, KeyStateOf(await store.GetEntriesNamingAsync(kid, ct)));
    }
}
