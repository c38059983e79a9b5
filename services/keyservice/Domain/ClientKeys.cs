using Grpc.Core;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.KeyService.Domain;

/// <summary>A client's Ed25519 signing key as the key log records it: owner and current state.</summary>
public sealed record ClientSigningKey(string Kid, string Owner, KeyState State, Ed25519PublicKey PublicKey);

/// <summary>Where keyservice finds client signing keys: storage's key log.</summary>
public interface IClientKeyDirectory
{
    /// <summary>The key named by exactly one of <paramref name="kid"/> or <paramref name="opensshFingerprint"/>; null when the log has none.</summary>
    Task<ClientSigningKey?> FindAsync(string? kid, string? opensshFingerprint, CancellationToken cancellationToken);
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

        StorageApi.LookupKeyResponse response;
        try
        {
            response = await storage.LookupKeyAsync(request, cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            throw StrongroomException.InvalidArgument(string.IsNullOrEmpty(kid) ? "fingerprint" : "header.signing_kid", "not a key name the key log accepts");
        }
        catch (RpcException ex)
        {
            throw StrongroomException.Unavailable($"the key log cannot be consulted: {ex.Status.StatusCode}");
        }

        return FromEntries(response.Kid, response.Entries.Select(e => e.EntryJson.ToByteArray()));
    }

    /// <summary>Replays the entries naming <paramref name="kid"/>; null unless they publish it as a client signing key.</summary>
    public static ClientSigningKey? FromEntries(string kid, IEnumerable<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        KeyPublished? published = null;
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
                case KeyStateChanged s when s.Kid == kid && state != KeyState.Revoked:
                    state = s.State;
                    break;
                case ClientKeysRevoked r when r.RevokedKids.Contains(kid):
                    state = KeyState.Revoked;
                    break;
            }
        }

        if (published is null || published.Kind != KeyKind.ClientSigning)
        {
            return null;
        }

        using var jwk = JsonWebKey.Parse(published.JwkJson);
        return new ClientSigningKey(kid, published.Owner, state, jwk.ToEd25519PublicKey());
    }
}
