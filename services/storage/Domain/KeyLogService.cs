using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Store;

namespace Strongroom.Storage.Domain;

/// <summary>An operator-signed request's verified payload.</summary>
internal sealed record OperatorDocument(JsonObject Payload, string Jws);

/// <summary>
/// The key log's rules (DESIGN §3.5): entries are appended only as canonical JSON of a closed
/// schema; a kid and an alias are bound once, whoever asks; services publish only their own keys;
/// client registrations and revocations need a JWS by a pinned operator key. After every append
/// the signer is asked for a checkpoint; readers only ever see entries up to the latest one.
/// </summary>
public sealed partial class KeyLogService(
    IStorageStore store,
    ICheckpointSigner checkpointSigner,
    StorageOptions options,
    TimeProvider time,
    ILogger<KeyLogService> logger) : IDisposable
{
    public const string RegistrationType = "strongroom-client-registration";
    public const string RevocationType = "strongroom-client-revocation";
    public const int MaxEntriesPerPage = 1000;

    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private readonly NoteVerifierKey? _logKey = string.IsNullOrWhiteSpace(options.LogVerifierKey) ? null : NoteVerifierKey.Parse(options.LogVerifierKey);
    private readonly Dictionary<string, Ed25519PublicKey> _operatorKeys = LoadOperatorKeys(options.OperatorKeys);

    public string Origin => Checkpoint.OriginFor(options.Deployment);

    public void Dispose() => _checkpointGate.Dispose();

    private long Now => time.GetUtcNow().ToUnixTimeSeconds();

    private static Dictionary<string, Ed25519PublicKey> LoadOperatorKeys(IEnumerable<string> jwks)
    {
        var keys = new Dictionary<string, Ed25519PublicKey>(StringComparer.Ordinal);
        foreach (var json in jwks)
        {
            using var jwk = JsonWebKey.Parse(json);
            if (jwk.KeyType != JwkKeyType.Ed25519 || jwk.HasPrivateKey)
            {
                throw new InvalidOperationException("Storage:OperatorKeys must be public Ed25519 JWKs");
            }

            // Found by thumbprint, and by the JWK's own kid when it has one.
            keys[jwk.Thumbprint()] = jwk.ToEd25519PublicKey();
            if (jwk.Kid is { } kid)
            {
                keys[kid] = jwk.ToEd25519PublicKey();
            }
        }

        return keys;
    }

    // ---------------------------------------------------------------- appends

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
            await TryCheckpointAsync(ct);
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
            await TryCheckpointAsync(ct);
        }

        return result;
    }

    /// <summary>RegisterClient: keys, aliases and the registration, appended together or not at all.</summary>
    public async Task<(string Identity, string SigningKid, string SealingKid, IReadOnlyList<StoredEntry> Entries)> RegisterClientAsync(string registrationJws, CancellationToken ct)
    {
        var document = VerifyOperatorDocument(registrationJws, RegistrationType, "registration_jws");
        var payload = document.Payload;
        var identity = ParseIdentity(Member(payload, "identity"), "identity");
        if (!identity.IsClient)
        {
            throw StrongroomException.InvalidArgument("identity", "must be a client identity");
        }

        var aliases = payload["aliases"] switch
        {
            null => new List<string>(),
            JsonArray a => a.Select(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw StrongroomException.InvalidArgument("aliases", "strings only")).ToList(),
            _ => throw StrongroomException.InvalidArgument("aliases", "must be an array of strings"),
        };
        var (signingJwk, foreignName) = ParseSigningKey(payload["signing_key"]);
        if (foreignName is not null && !aliases.Contains(foreignName))
        {
            // DESIGN §3.3: a foreign name (a sqooler kid) is bound once as an alias of the thumbprint kid.
            aliases.Add(foreignName);
        }

        var sealingJson = payload["sealing_key"] is JsonObject sealingObj ? sealingObj.ToJsonString() : throw StrongroomException.InvalidArgument("sealing_key", "must be a JWK object");
        var (sealingNormalized, sealingKid) = Normalize(sealingJson, KeyKind.ClientSealing, "sealing_key");
        var (signingNormalized, signingKid) = Normalize(signingJwk, KeyKind.ClientSigning, "signing_key");
        var now = Now;
        var owner = identity.ToString();
        KeyLogEntry[] entries;
        try
        {
            entries =
            [
                new KeyPublished { Time = now, Kid = signingKid, JwkJson = signingNormalized, Owner = owner, Kind = KeyKind.ClientSigning, KeyName = "signing", Version = 1 },
                new KeyPublished { Time = now, Kid = sealingKid, JwkJson = sealingNormalized, Owner = owner, Kind = KeyKind.ClientSealing, KeyName = "sealing", Version = 1 },
                .. aliases.Select(a => new AliasBound { Time = now, Alias = a, Kid = signingKid }),
                new ClientRegistered { Time = now, Identity = owner, SigningKid = signingKid, SealingKid = sealingKid, Aliases = aliases, RegistrationJwsDigest = KeyLogEntry.DigestOf(document.Jws) },
            ];
            foreach (var e in entries)
            {
                _ = e.ToCanonicalJson();
            }
        }
        catch (KeyLogFormatException ex)
        {
            throw StrongroomException.InvalidArgument("registration_jws", ex.Message);
        }

        var appended = await store.InLogTransactionAsync(async tx =>
        {
            var existing = await tx.FindKeyAsync(signingKid);
            if (existing is not null && existing.Owner == owner && await tx.FindKeyAsync(sealingKid) is { } sealing && sealing.Owner == owner)
            {
                var history = await tx.GetEntriesNamingAsync(signingKid);
                var registered = history.Where(h => h.Type == ClientRegistered.TypeName).Select(h => (Entry: h, Parsed: (ClientRegistered)KeyLogEntry.Parse(h.EntryJson)))
                    .FirstOrDefault(h => h.Parsed.RegistrationJwsDigest == KeyLogEntry.DigestOf(document.Jws));
                if (registered.Entry is not null)
                {
                    // The same signed registration again: a retry, nothing appended.
                    return (IReadOnlyList<StoredEntry>)history;
                }
            }

            var list = new List<StoredEntry>();
            foreach (var e in entries)
            {
                switch (e)
                {
                    case KeyPublished p:
                        if (await tx.FindKeyAsync(p.Kid) is not null || await tx.FindKidByAliasAsync(p.Kid) is not null)
                        {
                            throw StrongroomException.AlreadyExists($"kid {p.Kid}");
                        }

                        break;
                    case AliasBound a:
                        if (await tx.FindKidByAliasAsync(a.Alias) is not null || await tx.FindKeyAsync(a.Alias) is not null)
                        {
                            throw StrongroomException.AlreadyExists($"alias {a.Alias}");
                        }

                        break;
                }

                list.Add(await tx.AppendAsync(ToNew(e)));
            }

            return list;
        }, ct);
        await TryCheckpointAsync(ct);
        return (owner, signingKid, sealingKid, appended);
    }

    /// <summary>RevokeClientKey: an operator-signed revocation of keys the named client owns.</summary>
    public async Task<StoredEntry> RevokeClientKeyAsync(string revocationJws, CancellationToken ct)
    {
        var document = VerifyOperatorDocument(revocationJws, RevocationType, "revocation_jws");
        var identity = ParseIdentity(Member(document.Payload, "identity"), "identity");
        var kids = document.Payload["kids"] is JsonArray array
            ? array.Select(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw StrongroomException.InvalidArgument("kids", "strings only")).ToList()
            : throw StrongroomException.InvalidArgument("kids", "must be an array of kids");
        ClientKeysRevoked entry;
        try
        {
            entry = new ClientKeysRevoked { Time = Now, Identity = identity.ToString(), RevokedKids = kids, RevocationJwsDigest = KeyLogEntry.DigestOf(document.Jws) };
            _ = entry.ToCanonicalJson();
        }
        catch (KeyLogFormatException ex)
        {
            throw StrongroomException.InvalidArgument("revocation_jws", ex.Message);
        }

        var appended = await store.InLogTransactionAsync(async tx =>
        {
            foreach (var kid in kids)
            {
                var key = await tx.FindKeyAsync(kid) ?? throw StrongroomException.NotFound($"kid {kid}");
                if (key.Owner != entry.Identity)
                {
                    throw StrongroomException.InvalidArgument("kids", $"{kid} is not owned by {entry.Identity}");
                }

                if (KeyStateOf(await tx.GetEntriesNamingAsync(kid)) == KeyState.Revoked)
                {
                    throw StrongroomException.FailedPrecondition($"kid {kid} is already revoked");
                }
            }

            return await tx.AppendAsync(ToNew(entry));
        }, ct);
        await TryCheckpointAsync(ct);
        return appended;
    }

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
        await TryCheckpointAsync(ct);
        return appended;
    }

    // ---------------------------------------------------------------- checkpoints and proofs

    /// <summary>Checkpoints now; failures are logged and retried on the next append or RequestCheckpoint.</summary>
    public async Task TryCheckpointAsync(CancellationToken ct)
    {
        try
        {
            await CheckpointAsync(ct);
        }
        catch (StrongroomException ex)
        {
            LogCheckpointFailed(logger, ex.Message);
        }
    }

    /// <summary>
    /// Has the signer sign the current tree, proving consistency from the signer's own last
    /// checkpoint (which it reports; storage's record of it is not trusted for this).
    /// </summary>
    public async Task<StoredCheckpoint> CheckpointAsync(CancellationToken ct)
    {
        await _checkpointGate.WaitAsync(ct);
        try
        {
            var leaves = await LeafHashesAsync(long.MaxValue, ct);
            var size = leaves.Count;
            if (await store.GetLatestCheckpointAsync(ct) is { } latest && latest.TreeSize == size)
            {
                return latest;
            }

            var root = MerkleTree.RootHash(leaves, size);
            var last = await checkpointSigner.GetLatestAsync(ct);
            if (last.TreeSize > size)
            {
                // The signer has seen a longer log than storage now holds: storage lost or truncated entries.
                throw StrongroomException.FailedPrecondition($"the signer's last checkpoint covers {last.TreeSize} entries but storage holds {size}");
            }

            var proof = MerkleTree.ConsistencyProof(leaves, last.TreeSize, size);
            var note = await checkpointSigner.SignAsync(Origin, size, root, last.TreeSize, proof, ct);
            if (_logKey is not null)
            {
                try
                {
                    var checkedNote = Checkpoint.Verify(note, _logKey, Origin);
                    if (checkedNote.Size != size || !checkedNote.RootHash.AsSpan().SequenceEqual(root))
                    {
                        throw StrongroomException.Unavailable("the signer returned a checkpoint for another tree");
                    }
                }
                catch (KeyLogFormatException ex)
                {
                    throw StrongroomException.Unavailable("the signer returned a checkpoint that does not verify: " + ex.Message);
                }
            }

            var stored = new StoredCheckpoint(size, root, note);
            await store.SaveCheckpointAsync(stored, ct);
            return stored;
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    public async Task<StoredCheckpoint> LatestCheckpointAsync(CancellationToken ct) =>
        await store.GetLatestCheckpointAsync(ct) ?? throw StrongroomException.Unavailable("no checkpoint yet");

    private async Task<long> CheckpointedSizeAsync(long requested, CancellationToken ct)
    {
        var latest = await LatestCheckpointAsync(ct);
        if (requested == 0)
        {
            return latest.TreeSize;
        }

        return await store.GetCheckpointAsync(requested, ct) is not null
            ? requested
            : throw StrongroomException.NotFound($"checkpoint of size {requested}");
    }

    public async Task<IReadOnlyList<StoredEntry>> GetEntriesAsync(long start, long end, CancellationToken ct)
    {
        var size = (await LatestCheckpointAsync(ct)).TreeSize;
        if (end == 0)
        {
            // 0 = "as far as the latest checkpoint", like tree_size 0 elsewhere.
            end = size;
        }

        if (start < 0 || end < start)
        {
            throw StrongroomException.InvalidArgument("end_index", "must not be below start_index");
        }

        end = Math.Min(Math.Min(end, size), start + MaxEntriesPerPage);
        return start >= end ? [] : await store.GetEntriesAsync(start, end, ct);
    }

    public async Task<(long Index, long Size, IReadOnlyList<byte[]> Hashes)> InclusionProofAsync(long index, long treeSize, CancellationToken ct)
    {
        var size = await CheckpointedSizeAsync(treeSize, ct);
        if (index < 0 || index >= size)
        {
            throw StrongroomException.InvalidArgument("leaf_index", "outside the checkpointed tree");
        }

        var leaves = await LeafHashesAsync(size, ct);
        return (index, size, MerkleTree.InclusionProof(leaves, index, size));
    }

    public async Task<(long First, long Second, IReadOnlyList<byte[]> Hashes)> ConsistencyProofAsync(long first, long second, CancellationToken ct)
    {
        var size = await CheckpointedSizeAsync(second, ct);
        if (first < 0 || first > size)
        {
            throw StrongroomException.InvalidArgument("first_tree_size", "larger than the second tree");
        }

        var leaves = await LeafHashesAsync(size, ct);
        return (first, size, MerkleTree.ConsistencyProof(leaves, first, size));
    }

    /// <summary>VerifyKeyLog: recomputes the root from the stored rows and compares with the latest checkpoint.</summary>
    public async Task<(bool Consistent, long Size, long FirstBad, string Detail)> VerifyAsync(CancellationToken ct)
    {
        var latest = await LatestCheckpointAsync(ct);
        var entries = await store.GetEntriesAsync(0, latest.TreeSize, ct);
        var leaves = entries.Select(e => MerkleTree.LeafHash(e.EntryJson)).ToList();
        for (var i = 0; i < entries.Count; i++)
        {
            try
            {
                _ = KeyLogEntry.Parse(entries[i].EntryJson);
            }
            catch (KeyLogFormatException ex)
            {
                return (false, latest.TreeSize, i, "entry is not a valid canonical entry: " + ex.Message);
            }
        }

        if (leaves.Count != latest.TreeSize)
        {
            return (false, latest.TreeSize, leaves.Count, "entries missing");
        }

        if (!MerkleTree.RootHash(leaves, leaves.Count).AsSpan().SequenceEqual(latest.RootHash))
        {
            // An edited entry i breaks every checkpoint larger than i and none at or below it: the
            // first broken checkpoint and the one before it bound i (exactly, when storage
            // checkpointed after every append).
            long lastGood = 0;
            foreach (var (treeSize, root) in await store.ListCheckpointRootsAsync(ct))
            {
                if (treeSize > leaves.Count || !MerkleTree.RootHash(leaves, treeSize).AsSpan().SequenceEqual(root))
                {
                    return (false, latest.TreeSize, lastGood, $"stored entries do not hash to the signed checkpoints from size {treeSize} on: an entry in [{lastGood}, {treeSize}) was changed");
                }

                lastGood = treeSize;
            }

            return (false, latest.TreeSize, 0, "stored entries do not hash to the latest checkpoint");
        }

        try
        {
            _ = KeyLogReplayer.Replay(entries.Select(e => e.EntryJson));
        }
        catch (KeyLogFormatException ex)
        {
            return (false, latest.TreeSize, 0, "log breaks its rules: " + ex.Message);
        }

        return (true, latest.TreeSize, 0, "");
    }

    // ---------------------------------------------------------------- reads

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

    internal static KeyState KeyStateOf(IEnumerable<StoredEntry> history)
    {
        var state = KeyState.Enabled;
        foreach (var parsed in history.Select(e => KeyLogEntry.Parse(e.EntryJson)))
        {
            state = parsed switch
            {
                KeyStateChanged s => s.State,
                ClientKeysRevoked => KeyState.Revoked,
                _ => state,
            };
        }

        return state;
    }

    internal static KeyKind KindOf(string kind) => Enum.GetValues<KeyKind>().Single(k => KeyLogEntry.Snake(k) == kind);

    // ---------------------------------------------------------------- helpers

    private async Task<List<byte[]>> LeafHashesAsync(long size, CancellationToken ct)
    {
        var count = Math.Min(size, await store.CountEntriesAsync(ct));
        var entries = await store.GetEntriesAsync(0, count, ct);
        // Hashed from the stored bytes every time: a row edited behind storage's back changes the root.
        return entries.Select(e => MerkleTree.LeafHash(e.EntryJson)).ToList();
    }

    private static NewEntry ToNew(KeyLogEntry entry)
    {
        var json = entry.ToCanonicalJson();
        return entry switch
        {
            KeyPublished p => new NewEntry(p.Type, json, p.Time, p.Kids, new StoredKey(p.Kid, 0, p.JwkJson, p.Owner, KeyLogEntry.Snake(p.Kind), p.OpenSshFingerprint())),
            AliasBound a => new NewEntry(a.Type, json, a.Time, a.Kids, Alias: a.Alias),
            _ => new NewEntry(entry.Type, json, entry.Time, entry.Kids),
        };
    }

    private static (string Json, string Kid) Normalize(string jwkJson, KeyKind kind, string field)
    {
        try
        {
            using var jwk = JsonWebKey.Parse(jwkJson ?? "");
            var expected = kind switch
            {
                KeyKind.StudioMlDecryption => JwkKeyType.Rsa,
                KeyKind.RequestDecryption or KeyKind.ClientSealing => JwkKeyType.X25519,
                _ => JwkKeyType.Ed25519,
            };
            if (jwk.KeyType != expected)
            {
                throw StrongroomException.InvalidArgument(field, $"a {KeyLogEntry.Snake(kind)} key must be {expected}");
            }

            if (jwk.HasPrivateKey)
            {
                throw StrongroomException.InvalidArgument(field, "private key material is never published");
            }

            return KeyPublished.NormalizeJwk(jwk);
        }
        catch (CryptoException)
        {
            throw StrongroomException.InvalidArgument(field, "not a valid public JWK");
        }
    }

    /// <summary>A client signing key given as a JWK object, an ssh-ed25519 authorized_keys line or a sqooler key string.</summary>
    private static (string Json, string? ForeignName) ParseSigningKey(JsonNode? node)
    {
        try
        {
            switch (node)
            {
                case JsonObject obj:
                    {
                        using var jwk = JsonWebKey.Parse(obj.ToJsonString());
                        return (obj.ToJsonString(), ForeignKid(jwk));
                    }

                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    var text = v.GetValue<string>().Trim();
                    if (text.StartsWith("ssh-ed25519 ", StringComparison.Ordinal))
                    {
                        var parsed = OpenSsh.ParseAuthorizedKey(text);
                        using var sshJwk = JsonWebKey.FromPublicKey(parsed.Key);
                        return (sshJwk.ToJson(), null);
                    }

                    // sqooler: base64url (padding optional) of the JWK's JSON; padded x/d allowed.
                    if (!StrictBase64.TryDecodeUrlOptionalPadding(text, out var bytes))
                    {
                        throw StrongroomException.InvalidArgument("signing_key", "not a JWK, an ssh-ed25519 line or a sqooler key string");
                    }

                    using (var sqooler = JsonWebKey.Parse(bytes, JwkParseMode.SqoolerCompat))
                    {
                        if (sqooler.HasPrivateKey)
                        {
                            throw StrongroomException.InvalidArgument("signing_key", "private key material is never published");
                        }

                        using var clean = JsonWebKey.FromPublicKey(sqooler.ToEd25519PublicKey());
                        return (clean.ToJson(), ForeignKid(sqooler));
                    }

                default:
                    throw StrongroomException.InvalidArgument("signing_key", "missing");
            }
        }
        catch (CryptoException)
        {
            throw StrongroomException.InvalidArgument("signing_key", "not a valid Ed25519 public key");
        }
    }

    private static string? ForeignKid(JsonWebKey jwk) =>
        jwk.Kid is { } kid && !string.Equals(kid, jwk.Thumbprint(), StringComparison.Ordinal) ? kid : null;

    private OperatorDocument VerifyOperatorDocument(string jws, string type, string field)
    {
        if (string.IsNullOrEmpty(jws) || jws.Length > 64 * 1024)
        {
            throw StrongroomException.InvalidArgument(field, "missing or too large");
        }

        var result = Jws.VerifyCompact(jws, kid => kid is not null && _operatorKeys.TryGetValue(kid, out var key) ? key : null);
        if (result.Status is JwsVerificationStatus.Malformed)
        {
            throw StrongroomException.InvalidArgument(field, "not a compact JWS");
        }

        if (!result.IsValid)
        {
            // Anything not signed by a pinned operator key is refused, whoever sent it.
            throw StrongroomException.PermissionDenied($"{field} is not signed by a pinned operator key ({result.Reason})");
        }

        if (!result.ProtectedHeader!.Value.TryGetProperty("typ", out var typ) || typ.ValueKind != JsonValueKind.String || typ.GetString() != type)
        {
            throw StrongroomException.InvalidArgument(field, $"typ must be {type}");
        }

        var payload = CanonicalPayload(result.Payload!, field);
        return new OperatorDocument(payload, jws);
    }

    private static JsonObject CanonicalPayload(byte[] payload, string field)
    {
        try
        {
            return JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 8 }) as JsonObject
                ?? throw StrongroomException.InvalidArgument(field, "payload must be a JSON object");
        }
        catch (JsonException)
        {
            throw StrongroomException.InvalidArgument(field, "payload must be a JSON object");
        }
    }

    private static string Member(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw StrongroomException.InvalidArgument(name, "missing");

    internal static WorkloadIdentity ParseIdentity(string? value, string field) =>
        WorkloadIdentity.TryParse(value, out var full) ? full
        : !string.IsNullOrEmpty(value) && WorkloadIdentity.TryParse(WorkloadIdentity.Prefix + value, out var shortForm) ? shortForm
        : throw StrongroomException.InvalidArgument(field, "not a Strongroom workload identity");

    [LoggerMessage(Level = LogLevel.Warning, Message = "checkpoint not signed now (retried on the next append or RequestCheckpoint): {Reason}")]
    private static partial void LogCheckpointFailed(ILogger logger, string reason);
}
