using Grpc.Core;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Requests;

/// <summary>
/// A client's Ed25519 signing key as the key log records it: owner, current state and the X25519
/// sealing kid its registration names (results of StudioML requests are sealed to it).
/// </summary>
public sealed record ClientSigningKey(string Kid, string Owner, KeyState State, Ed25519PublicKey PublicKey)
{
    /// <summary>The sealing kid of the client registration that published this signing key; null if none names it.</summary>
    public string? SealingKid { get; init; }
}

/// <summary>A client's registered X25519 result-sealing key: owner and current state.</summary>
public sealed record ClientSealingKey(string Kid, string Owner, KeyState State, X25519PublicKey PublicKey);

/// <summary>Where keyservice finds client signing keys: storage's key log.</summary>
public interface IClientKeyDirectory
{
    /// <summary>The key named by exactly one of <paramref name="kid"/> or <paramref name="opensshFingerprint"/>; null when the log has none.</summary>
    Task<ClientSigningKey?> FindAsync(string? kid, string? opensshFingerprint, CancellationToken cancellationToken);

    /// <summary>The client sealing key <paramref name="kid"/>; null when the log has none.</summary>
    Task<ClientSealingKey?> FindSealingKeyAsync(string kid, CancellationToken cancellationToken);
}

/// <summary>
/// Looks client keys up with storage's LookupKey and decides owner and state from the log entries
/// themselves (publication, then state changes and revocations, in log order), not from storage's
/// convenience fields.
/// </summary>
public sealed class StorageClientKeyDirectory(StorageApi.Storage.StorageClient storage) : IClientKeyDirectory
{
    public async Task<ClientSigningKey?> FindAsync(string? kid, string? opensshFingerprint, CancellationToken cancellationToken)
    {
        var request = new StorageApi.LookupKeyRequest();
        if (!string.IsNullOrEmpty(kid))
        {
            request.Kid = kid;
        }
        else
        {
            request.OpensshFingerprint = opensshFingerprint ?? "";
        }

        var response = await LookupAsync(request, string.IsNullOrEmpty(kid) ? "fingerprint" : "header.signing_kid", cancellationToken);
        return response is null ? null : FromEntries(response.Kid, response.Entries.Select(e => e.EntryJson.ToByteArray()));
    }

    public async Task<ClientSealingKey?> FindSealingKeyAsync(string kid, CancellationToken cancellationToken)
    {
        var response = await LookupAsync(new StorageApi.LookupKeyRequest { Kid = kid }, "header.result_kid", cancellationToken);
        return response is null ? null : SealingKeyFromEntries(response.Kid, response.Entries.Select(e => e.EntryJson.ToByteArray()));
    }

    private async Task<StorageApi.LookupKeyResponse?> LookupAsync(StorageApi.LookupKeyRequest request, string field, CancellationToken cancellationToken)
    {
        try
        {
            return await storage.LookupKeyAsync(request, cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            throw StrongroomException.InvalidArgument(field, "not a key name the key log accepts");
        }
        catch (RpcException ex)
        {
            throw StrongroomException.Unavailable($"the key log cannot be consulted: {ex.Status.StatusCode}");
        }
    }

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
