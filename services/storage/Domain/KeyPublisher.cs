using Strongroom.Core;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Store;
using static Strongroom.Storage.Domain.KeyLogRules;

namespace Strongroom.Storage.Domain;

/// <summary>
/// A service's own keys and their lifecycle (DESIGN §3.5): a kid is bound once, whoever asks;
/// services publish only their own keys of their own kinds, and record events only for keys they
/// published, as the replayer's rules allow. Every new entry is followed by a checkpoint.
/// </summary>
public sealed class KeyPublisher(IStorageStore store, Checkpointer checkpointer, TimeProvider time)
{
    private long Now => time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>PublishKey: a service's own key version. Same material again is a retry (created = false).</summary>
    public async Task<(StoredEntry Entry, bool Created)> PublishKeyAsync(WorkloadIdentity caller, string kid, string jwkJson, string ownerIdentity, KeyKind kind, string keyName, long version, long createTime, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var owner = ParseIdentity(ownerIdentity, "owner_identity");
        if (owner != caller)
        {
            throw StrongroomException.PermissionDenied("a service publishes only its own keys");
        }

        var allowedKinds = caller == WorkloadIdentity.KeyService ? new[] { KeyKind.StudioMlDecryption, KeyKind.RequestDecryption }
            : caller == WorkloadIdentity.Signer ? [KeyKind.ResultSigning, KeyKind.LogSigning]
            : [];
        if (!allowedKinds.Contains(kind))
        {
            throw StrongroomException.PermissionDenied($"{caller} does not publish keys of kind {KeyLogEntry.Snake(kind)}");
        }

        if (string.IsNullOrEmpty(keyName) || keyName.Length > 128)
        {
            throw StrongroomException.InvalidArgument("key_name", "1-128 characters");
        }

        if (version < 1)
        {
            throw StrongroomException.InvalidArgument("version", "must be at least 1");
        }

        var (normalized, thumbprint) = Normalize(jwkJson, kind, "jwk_json");
        if (!string.Equals(kid, thumbprint, StringComparison.Ordinal))
        {
            throw StrongroomException.InvalidArgument("kid", "is not the RFC 7638 thumbprint of jwk_json");
        }

        var entry = new KeyPublished
        {
            Time = createTime > 0 ? createTime : Now,
            Kid = thumbprint,
            JwkJson = normalized,
            Owner = owner.ToString(),
            Kind = kind,
            KeyName = keyName,
            Version = version,
        };
        var result = await store.InLogTransactionAsync(async tx =>
        {
            var existing = await tx.FindKeyAsync(thumbprint);
            if (existing is not null)
            {
                var previous = (KeyPublished)KeyLogEntry.Parse((await tx.GetEntriesNamingAsync(thumbprint)).First(e => e.Index == existing.EntryIndex).EntryJson);
                if (previous with { Time = entry.Time } == entry)
                {
                    return (Entry: (await tx.GetEntriesNamingAsync(thumbprint)).First(e => e.Index == existing.EntryIndex), Created: false);
                }

                // DESIGN §3.5: a kid is bound once; other material or metadata under it is refused whoever asks.
                throw StrongroomException.AlreadyExists($"kid {thumbprint}");
            }

            if (await tx.FindKidByAliasAsync(thumbprint) is not null)
            {
                throw StrongroomException.AlreadyExists($"kid {thumbprint} (bound as an alias)");
            }

            return (Entry: await tx.AppendAsync(ToNew(entry)), Created: true);
        }, ct);
        if (result.Created)
        {
            await checkpointer.TryCheckpointAsync(ct);
        }

        return result;
    }

    /// <summary>PublishKeyEvent: a lifecycle change or marker of a key the caller published.</summary>
    public async Task<(StoredEntry Entry, bool Created)> PublishKeyEventAsync(WorkloadIdentity caller, string kid, KeyState? state, KeyMark? mark, long eventTime, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (state is null == mark is null)
        {
            throw StrongroomException.InvalidArgument("event", "exactly one state change or marker");
        }

        if (!KeyLogEntry.IsKid(kid))
        {
            throw StrongroomException.InvalidArgument("kid", "not an RFC 7638 thumbprint");
        }

        var now = Now;
        if (eventTime > now + 300)
        {
            throw StrongroomException.InvalidArgument("event_time", "in the future");
        }

        KeyLogEntry entry = state is { } s
            ? new KeyStateChanged { Time = eventTime > 0 ? eventTime : now, Kid = kid!, State = s }
            : new KeyVersionMarked { Time = eventTime > 0 ? eventTime : now, Kid = kid!, Mark = mark!.Value };
        var json = entry.ToCanonicalJson();
        var result = await store.InLogTransactionAsync(async tx =>
        {
            var key = await tx.FindKeyAsync(kid!) ?? throw StrongroomException.NotFound($"kid {kid}");
            if (!string.Equals(key.Owner, caller.ToString(), StringComparison.Ordinal))
            {
                throw StrongroomException.PermissionDenied("a service records events only for keys it published");
            }

            var history = await tx.GetEntriesNamingAsync(kid!);
            if (history.FirstOrDefault(e => e.EntryJson.AsSpan().SequenceEqual(json)) is { } same)
            {
                return (Entry: same, Created: false);
            }

            // The replayer's rules decide whether the change is legal (e.g. nothing after revocation).
            try
            {
                var replay = new KeyLogReplayer();
                foreach (var e in history.Select(h => KeyLogEntry.Parse(h.EntryJson)).Where(e => e is KeyPublished or KeyStateChanged or KeyVersionMarked))
                {
                    replay.Apply(e);
                }

                replay.Apply(entry);
            }
            catch (KeyLogFormatException ex)
            {
                throw StrongroomException.FailedPrecondition("event refused: " + ex.Message);
            }

            return (Entry: await tx.AppendAsync(new NewEntry(entry.Type, json, entry.Time, entry.Kids)), Created: true);
        }, ct);
        if (result.Created)
        {
            await checkpointer.TryCheckpointAsync(ct);
        }

        return result;
    }
}
