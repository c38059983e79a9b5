namespace Strongroom.KeyLog;

/// <summary>One key version's state after replaying the log up to some entry.</summary>
public sealed record ReplayedKey(
    string Kid,
    string Owner,
    KeyKind Kind,
    string JwkJson,
    string KeyName,
    long Version,
    KeyState State,
    long PublishedTime,
    long? DestroyedTime,
    bool Primary)
{
    /// <summary>
    /// Whether a signature made at <paramref name="issuedAt"/> (Unix seconds) by this key is to be
    /// believed (DESIGN §3.4): never for a revoked key; for a destroyed key only when issued before
    /// the destroy entry; otherwise yes (disabling stops new signatures, not old ones).
    /// </summary>
    public bool AcceptsSignatureIssuedAt(long issuedAt) => State switch
    {
        KeyState.Revoked => false,
        KeyState.Destroyed => DestroyedTime is { } destroyed && issuedAt < destroyed,
        _ => true,
    };
}

/// <summary>
/// Replays verified entries in log order and answers, per kid, the owner and current state: the
/// runner and SDK use it because an inclusion proof shows an entry exists, never that no later
/// entry revoked it. Entries that contradict the log's rules (an event for an unknown kid, a kid
/// bound to other material, an alias bound twice, a change after revocation, an event by someone
/// who does not own the key) make the whole log invalid: <see cref="Apply"/> throws.
/// </summary>
public sealed class KeyLogReplayer
{
    private readonly Dictionary<string, ReplayedKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClientRegistered> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _minimumVersion = new(StringComparer.Ordinal);

    public long Count { get; private set; }

    public IReadOnlyDictionary<string, ReplayedKey> Keys => _keys;

    /// <summary>Alias → kid.</summary>
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    public IReadOnlyDictionary<string, ClientRegistered> Clients => _clients;

    /// <summary>Replays canonical entry bytes (each parsed and checked).</summary>
    public static KeyLogReplayer Replay(IEnumerable<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var replayer = new KeyLogReplayer();
        foreach (var entry in entries)
        {
            replayer.Apply(KeyLogEntry.Parse(entry));
        }

        return replayer;
    }

    public ReplayedKey? Find(string kidOrAlias) =>
        _keys.TryGetValue(kidOrAlias, out var key) ? key
        : _aliases.TryGetValue(kidOrAlias, out var kid) ? _keys[kid]
        : null;

    /// <summary>The lowest version of a named key still accepted (1 when never raised).</summary>
    public long MinimumVersion(string owner, string keyName) =>
        _minimumVersion.TryGetValue(owner + "\n" + keyName, out var v) ? v : 1;

    public void Apply(KeyLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        switch (entry)
        {
            case KeyPublished p:
                if (_keys.ContainsKey(p.Kid) || _aliases.ContainsKey(p.Kid))
                {
                    throw new KeyLogFormatException($"entry {Count}: kid bound twice");
                }

                _keys[p.Kid] = new ReplayedKey(p.Kid, p.Owner, p.Kind, p.JwkJson, p.KeyName, p.Version, KeyState.Enabled, p.Time, null, false);
                break;
            case AliasBound a:
                if (_aliases.ContainsKey(a.Alias) || _keys.ContainsKey(a.Alias) || !_keys.ContainsKey(a.Kid))
                {
                    throw new KeyLogFormatException($"entry {Count}: alias bound twice or to an unknown kid");
                }

                _aliases[a.Alias] = a.Kid;
                break;
            case ClientRegistered c:
                if (!Owned(c.SigningKid, c.Identity, KeyKind.ClientSigning) || !Owned(c.SealingKid, c.Identity, KeyKind.ClientSealing))
                {
                    throw new KeyLogFormatException($"entry {Count}: registration names keys the client does not own");
                }

                _clients[c.Identity] = c;
                break;
            case KeyStateChanged s:
                Change(s.Kid, s.State, s.Time);
                break;
            case KeyVersionMarked m:
                var marked = Require(m.Kid);
                if (m.Mark == KeyMark.Primary)
                {
                    foreach (var other in _keys.Values.Where(k => k.Owner == marked.Owner && k.KeyName == marked.KeyName && k.Primary).ToList())
                    {
                        _keys[other.Kid] = other with { Primary = false };
                    }

                    _keys[m.Kid] = _keys[m.Kid] with { Primary = true };
                }
                else
                {
                    _minimumVersion[marked.Owner + "\n" + marked.KeyName] = marked.Version;
                }

                break;
            case ClientKeysRevoked r:
                foreach (var kid in r.RevokedKids)
                {
                    if (!string.Equals(Require(kid).Owner, r.Identity, StringComparison.Ordinal))
                    {
                        throw new KeyLogFormatException($"entry {Count}: revocation names a key the client does not own");
                    }

                    Change(kid, KeyState.Revoked, r.Time);
                }

                break;
            case AuditAnchor:
                break;
            default:
                throw new KeyLogFormatException($"entry {Count}: unknown entry");
        }

        Count++;
    }

    private bool Owned(string kid, string owner, KeyKind kind) =>
        _keys.TryGetValue(kid, out var key) && key.Owner == owner && key.Kind == kind;

    private ReplayedKey Require(string kid) =>
        _keys.TryGetValue(kid, out var key) ? key : throw new KeyLogFormatException($"entry {Count}: event for an unknown kid");

    private void Change(string kid, KeyState state, long time)
    {
        var key = Require(kid);
        // Revoked is terminal; destroyed can only be revoked (a compromised key found later).
        var allowed = key.State switch
        {
            KeyState.Revoked => false,
            KeyState.Destroyed => state == KeyState.Revoked,
            _ => true,
        };
        if (!allowed)
        {
            throw new KeyLogFormatException($"entry {Count}: state change after {KeyLogEntry.Snake(key.State)}");
        }

        _keys[kid] = key with
        {
            State = state,
            DestroyedTime = state == KeyState.Destroyed ? time : key.DestroyedTime,
        };
    }
}
