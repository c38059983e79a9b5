using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;

namespace Strongroom.Requests;

/// <summary>
/// Decides a client key's owner and state from the key log entries that name it (publication, then
/// state changes and revocations, in log order), never from a server's convenience fields: the
/// same replay whichever transport fetched the entries.
/// </summary>
public static class ClientKeyReplay
{
    /// <summary>Replays the entries naming <paramref name="kid"/>; null unless they publish it as a client sealing key.</summary>
    public static ClientSealingKey? SealingKeyFromEntries(string kid, IEnumerable<byte[]> entries)
    {
        var (published, state, _) = Replay(kid, entries);
        if (published is null || published.Kind != KeyKind.ClientSealing)
        {
            return null;
        }

        using var jwk = JsonWebKey.Parse(published.JwkJson);
        return new ClientSealingKey(kid, published.Owner, state, jwk.ToX25519PublicKey());
    }

    /// <summary>Replays the entries naming <paramref name="kid"/>; null unless they publish it as a client signing key.</summary>
    public static ClientSigningKey? FromEntries(string kid, IEnumerable<byte[]> entries)
    {
        var (published, state, registration) = Replay(kid, entries);
        if (published is null || published.Kind != KeyKind.ClientSigning)
        {
            return null;
        }

        using var jwk = JsonWebKey.Parse(published.JwkJson);
        return new ClientSigningKey(kid, published.Owner, state, jwk.ToEd25519PublicKey())
        {
            SealingKid = registration is not null && registration.Identity == published.Owner ? registration.SealingKid : null,
        };
    }

    /// <summary>Publication, state (changes and revocations in log order) and the registration naming the key as its signing key.</summary>
    public static (KeyPublished? Published, KeyState State, ClientRegistered? Registration) Replay(string kid, IEnumerable<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        KeyPublished? published = null;
        ClientRegistered? registration = null;
        var state = KeyState.Enabled;
        foreach (var bytes in entries)
        {
            KeyLogEntry entry;
            try
            {
                entry = KeyLogEntry.Parse(bytes);
            }
            catch (KeyLogFormatException)
            {
                throw StrongroomException.FailedPrecondition("the key log answered an entry that does not parse");
            }

            switch (entry)
            {
                case KeyPublished p when p.Kid == kid:
                    published = p;
                    break;
                case KeyStateChanged c when c.Kid == kid && state != KeyState.Revoked:
                    state = c.State;
                    break;
                case ClientKeysRevoked r when r.RevokedKids.Contains(kid):
                    state = KeyState.Revoked;
                    break;
                case ClientRegistered g when g.SigningKid == kid:
                    registration = g;
                    break;
            }
        }

        return (published, state, registration);
    }
}
