using System.Text;
using Strongroom.KeyLog;
using Strongroom.Pki;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Client;

/// <summary>One key-log entry with its inclusion proof in some tree.</summary>
public sealed record ProvenEntry(long Index, byte[] EntryJson, IReadOnlyList<byte[]> InclusionProof);

/// <summary>The pinned checkpoint kept in a file (the note text, re-verified on every load).</summary>
public static class KeyLogPin
{
    /// <summary>The pinned checkpoint in <paramref name="path"/>, or null when there is no file yet.</summary>
    public static Checkpoint? Load(string path, NoteVerifierKey logKey, string origin)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            // Re-verified: a pin file edited on disk is no more trusted than storage.
            return Checkpoint.Verify(File.ReadAllText(path), logKey, origin);
        }
        catch (KeyLogFormatException ex)
        {
            throw new KeyLogVerificationException($"the pinned checkpoint in {path} does not verify with the configured log key ({ex.Message}); remove it only if the log key was deliberately changed", ex);
        }
    }

    public static void Save(string path, Checkpoint checkpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(checkpoint);
        SecureFile.WriteAllText(path, checkpoint.Note, secret: true);
    }
}

/// <summary>
/// The client's view of the key log (DESIGN §3.5): the first checkpoint it sees (signed by the log
/// key it was configured with, never one learned from storage) is pinned; a later one replaces the
/// pin only with a consistency proof from it, so storage can neither rewrite nor fork what the
/// client has seen. Keys are believed only from entries with inclusion proofs under the pin, and
/// their state is replayed from those entries (a key row is never trusted on its own).
/// </summary>
public sealed class PinnedLog : IDisposable
{
    private readonly IKeyLogSource _source;
    private readonly NoteVerifierKey _logKey;
    private readonly string _origin;
    private readonly string? _pinFile;
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <param name="logKey">The log verifier key (C2SP note verifier key) given out of band.</param>
    /// <param name="origin">The log's origin line, <c>strongroom/keylog/&lt;deployment&gt;</c>.</param>
    /// <param name="pinFile">Where the pin persists between runs (0600); null keeps it in memory only.</param>
    public PinnedLog(IKeyLogSource source, NoteVerifierKey logKey, string origin, string? pinFile = null)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _logKey = logKey ?? throw new ArgumentNullException(nameof(logKey));
        _origin = origin ?? throw new ArgumentNullException(nameof(origin));
        _pinFile = pinFile;
        Pinned = pinFile is null ? null : KeyLogPin.Load(pinFile, logKey, origin);
    }

    /// <summary>From configuration strings: the verifier key as operators distribute it and the deployment name.</summary>
    public static PinnedLog Create(IKeyLogSource source, string logVerifierKey, string deployment, string? pinFile = null)
    {
        NoteVerifierKey key;
        try
        {
            key = NoteVerifierKey.Parse(logVerifierKey);
        }
        catch (KeyLogFormatException ex)
        {
            throw new ArgumentException("the configured log verifier key is not a C2SP Ed25519 note verifier key", nameof(logVerifierKey), ex);
        }

        return new PinnedLog(source, key, Checkpoint.OriginFor(deployment), pinFile);
    }

    public Checkpoint? Pinned { get; private set; }

    /// <summary>
    /// Fetches storage's latest checkpoint and moves the pin to it: pinned as is when nothing is
    /// pinned yet; otherwise only with a consistency proof from the pinned one. On any failure the
    /// old pin stays and <see cref="KeyLogVerificationException"/> says why.
    /// </summary>
    public async Task<Checkpoint> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var answered = await _source.GetCheckpointAsync(cancellationToken);
            Checkpoint next;
            try
            {
                next = Checkpoint.Verify(answered.Note, _logKey, _origin);
            }
            catch (KeyLogFormatException ex)
            {
                throw new KeyLogVerificationException($"storage's checkpoint is not signed by the configured log key for {_origin} ({ex.Message})", ex);
            }

            if (Pinned is { } pinned)
            {
                if (next.Size < pinned.Size)
                {
                    throw new KeyLogVerificationException($"storage's checkpoint (size {next.Size}) is older than the pinned one (size {pinned.Size}): the log was rolled back or storage is stale");
                }

                var proof = next.Size == pinned.Size ? [] : await _source.GetConsistencyProofAsync(pinned.Size, next.Size, cancellationToken);
                if (!MerkleTree.VerifyConsistency(pinned.Size, next.Size, proof, pinned.RootHash, next.RootHash))
                {
                    throw new KeyLogVerificationException($"the checkpoint of size {next.Size} is not an extension of the pinned checkpoint of size {pinned.Size}: the log was forked or rewritten; keep the pin and tell the operators");
                }

                if (next.Size == pinned.Size)
                {
                    return pinned;
                }
            }

            if (_pinFile is not null)
            {
                KeyLogPin.Save(_pinFile, next);
            }

            Pinned = next;
            return next;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Looks a key up (by kid, alias or OpenSSH fingerprint), proves every entry storage answered is
    /// in the pinned tree, and replays them into the key's current state. Null when storage has no such
    /// key. The pin is refreshed first, so a revocation checkpointed since is seen.
    /// </summary>
    public async Task<ReplayedKey?> VerifyKeyAsync(StorageApi.LookupKeyRequest selector, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var pinned = await RefreshAsync(cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            var response = await _source.LookupKeyAsync(selector, cancellationToken);
            if (response is null)
            {
                return null;
            }

            if (response.Entries.Any(e => e.Index >= (ulong)pinned.Size))
            {
                // Storage checkpointed again between the two calls: move the pin and ask again.
                if (attempt >= 2)
                {
                    throw new KeyLogVerificationException("storage keeps answering entries beyond its own latest checkpoint");
                }

                pinned = await RefreshAsync(cancellationToken);
                continue;
            }

            var proven = new List<ProvenEntry>(response.Entries.Count);
            foreach (var entry in response.Entries)
            {
                var index = (long)entry.Index;
                proven.Add(new ProvenEntry(index, entry.EntryJson.ToByteArray(), await _source.GetInclusionProofAsync(index, pinned.Size, cancellationToken)));
            }

            var key = VerifyKey(response.Kid, proven, pinned);
            CheckSelector(selector, key, proven);
            return key;
        }
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>By kid.</summary>
    public Task<ReplayedKey?> VerifyKeyAsync(string kid, CancellationToken cancellationToken = default) =>
        VerifyKeyAsync(new StorageApi.LookupKeyRequest { Kid = kid }, cancellationToken);

    /// <summary>
    /// The pure check: every entry is leaf <c>Index</c> of <paramref name="checkpoint"/>'s tree, they
    /// all name <paramref name="kid"/>, the first publishes it, and the rest change its state only as
    /// the log's rules allow. Returns the key's state after the last of them.
    /// </summary>
    public static ReplayedKey VerifyKey(string kid, IReadOnlyList<ProvenEntry> entries, Checkpoint checkpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(kid);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(checkpoint);
        ReplayedKey? key = null;
        var last = -1L;
        foreach (var proven in entries)
        {
            if (proven.Index <= last || proven.Index >= checkpoint.Size)
            {
                throw new KeyLogVerificationException($"key {kid}: entries out of log order or outside the pinned tree (size {checkpoint.Size})");
            }

            last = proven.Index;
            if (!MerkleTree.VerifyInclusion(proven.Index, checkpoint.Size, MerkleTree.LeafHash(proven.EntryJson), proven.InclusionProof, checkpoint.RootHash))
            {
                throw new KeyLogVerificationException($"key {kid}: entry {proven.Index} is not in the pinned key log (its inclusion proof fails); storage's copy was altered");
            }

            KeyLogEntry entry;
            try
            {
                entry = KeyLogEntry.Parse(proven.EntryJson);
            }
            catch (KeyLogFormatException ex)
            {
                throw new KeyLogVerificationException($"key {kid}: entry {proven.Index} is not a valid key-log entry ({ex.Message})", ex);
            }

            if (!entry.Kids.Contains(kid))
            {
                throw new KeyLogVerificationException($"key {kid}: storage answered entry {proven.Index}, which does not name it");
            }

            key = Apply(kid, key, entry, proven.Index);
        }

        return key ?? throw new KeyLogVerificationException($"key {kid}: no entry publishes it");
    }

    private static ReplayedKey? Apply(string kid, ReplayedKey? key, KeyLogEntry entry, long index)
    {
        if (entry is KeyPublished p)
        {
            return key is null
                ? new ReplayedKey(p.Kid, p.Owner, p.Kind, p.JwkJson, p.KeyName, p.Version, KeyState.Enabled, p.Time, null, false)
                : throw new KeyLogVerificationException($"key {kid}: published twice (entry {index})");
        }

        if (key is null)
        {
            throw new KeyLogVerificationException($"key {kid}: entry {index} names it before it is published");
        }

        return entry switch
        {
            KeyStateChanged s => Change(key, s.State, s.Time, index),
            ClientKeysRevoked r => string.Equals(r.Identity, key.Owner, StringComparison.Ordinal)
                ? Change(key, KeyState.Revoked, r.Time, index)
                : throw new KeyLogVerificationException($"key {kid}: entry {index} revokes it in the name of a client that does not own it"),
            // Marks of other versions are not among a kid's entries: only "was made primary" is known here.
            KeyVersionMarked { Mark: KeyMark.Primary } => key with { Primary = true },
            _ => key,
        };
    }

    private static ReplayedKey Change(ReplayedKey key, KeyState state, long time, long index)
    {
        // Same rules as KeyLogReplayer: revoked is terminal; destroyed can only become revoked.
        var allowed = key.State switch
        {
            KeyState.Revoked => false,
            KeyState.Destroyed => state == KeyState.Revoked,
            _ => true,
        };
        return allowed
            ? key with { State = state, DestroyedTime = state == KeyState.Destroyed ? time : key.DestroyedTime }
            : throw new KeyLogVerificationException($"key {key.Kid}: entry {index} changes it after it was {KeyLogEntry.Snake(key.State)}");
    }

    /// <summary>The key found must be the one the selector named, proven from the entries themselves.</summary>
    private static void CheckSelector(StorageApi.LookupKeyRequest selector, ReplayedKey key, IReadOnlyList<ProvenEntry> entries)
    {
        switch (selector.SelectorCase)
        {
            case StorageApi.LookupKeyRequest.SelectorOneofCase.Kid when selector.Kid != key.Kid:
                throw new KeyLogVerificationException($"storage answered key {key.Kid} when asked for {selector.Kid}");
            case StorageApi.LookupKeyRequest.SelectorOneofCase.Alias
                when !entries.Select(e => KeyLogEntry.Parse(e.EntryJson)).OfType<AliasBound>().Any(a => a.Alias == selector.Alias && a.Kid == key.Kid):
                throw new KeyLogVerificationException($"storage answered key {key.Kid} for alias {selector.Alias}, but no proven entry binds that alias to it");
            case StorageApi.LookupKeyRequest.SelectorOneofCase.OpensshFingerprint:
                var published = entries.Select(e => KeyLogEntry.Parse(e.EntryJson)).OfType<KeyPublished>().Single();
                if (published.OpenSshFingerprint() != selector.OpensshFingerprint)
                {
                    throw new KeyLogVerificationException($"storage answered key {key.Kid} for fingerprint {selector.OpensshFingerprint}, but it has another fingerprint");
                }

                break;
        }
    }
}
