using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Store;

namespace Strongroom.Storage.Domain;

/// <summary>
/// The key log's small rules shared by every appender and reader (DESIGN §3.5): how an identity
/// is named, which JWK a kind of key must be, how an entry becomes a stored row, and a key's
/// state replayed from the entries naming it.
/// </summary>
internal static class KeyLogRules
{
    internal static WorkloadIdentity ParseIdentity(string? value, string field) =>
        WorkloadIdentity.TryParse(value, out var full) ? full
        : !string.IsNullOrEmpty(value) && WorkloadIdentity.TryParse(WorkloadIdentity.Prefix + value, out var shortForm) ? shortForm
        : throw StrongroomException.InvalidArgument(field, "not a Strongroom workload identity");

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

    /// <summary>An entry as the store appends it, with the look-up rows it creates.</summary>
    internal static NewEntry ToNew(KeyLogEntry entry)
    {
        var json = entry.ToCanonicalJson();
        return entry switch
        {
            KeyPublished p => new NewEntry(p.Type, json, p.Time, p.Kids, new StoredKey(p.Kid, 0, p.JwkJson, p.Owner, KeyLogEntry.Snake(p.Kind), p.OpenSshFingerprint())),
            AliasBound a => new NewEntry(a.Type, json, a.Time, a.Kids, Alias: a.Alias),
            _ => new NewEntry(entry.Type, json, entry.Time, entry.Kids),
        };
    }

    /// <summary>A public JWK of the type <paramref name="kind"/> needs, normalized, and its thumbprint kid.</summary>
    internal static (string Json, string Kid) Normalize(string jwkJson, KeyKind kind, string field)
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
}
