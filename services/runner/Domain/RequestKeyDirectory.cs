using Grpc.Core;
using Strongroom.Core;
using Strongroom.KeyLog;
using Strongroom.Requests;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Runner.Domain;

/// <summary>Which request-decryption keys exist and may be used, as the key log says.</summary>
public interface IRequestKeyDirectory
{
    /// <summary>Refuses unless <paramref name="kid"/> is an enabled keyservice X25519 request key.</summary>
    Task RequireRequestKeyAsync(string kid, CancellationToken cancellationToken);
}

/// <summary>
/// Replays the key log entries storage returns for a kid: published by keyservice as a
/// request-decryption key, and not disabled, destroyed or revoked since. keyservice checks the
/// same again before it decapsulates; this check only lets the runner refuse early and clearly.
/// </summary>
public sealed class StorageRequestKeyDirectory(StorageApi.Storage.StorageClient storage) : IRequestKeyDirectory
{
    public async Task RequireRequestKeyAsync(string kid, CancellationToken cancellationToken)
    {
        if (!KeyLogEntry.IsKid(kid))
        {
            throw StrongroomException.InvalidArgument("envelope.header.recipient_kid", "missing or malformed");
        }

        StorageApi.LookupKeyResponse response;
        try
        {
            response = await storage.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = kid }, cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw StrongroomException.NotFound($"recipient key '{kid}' (the request is sealed to a key this deployment does not have; fetch the current key)");
        }
        catch (RpcException ex)
        {
            throw StrongroomException.Unavailable($"the key log cannot be consulted: {ex.Status.StatusCode}");
        }

        var (published, state, _) = ClientKeyReplay.Replay(kid, response.Entries.Select(e => e.EntryJson.ToByteArray()));
        if (published is null || published.Kind != KeyKind.RequestDecryption || published.Owner != Strongroom.Pki.WorkloadIdentity.KeyService.ToString())
        {
            throw StrongroomException.InvalidArgument("envelope.header.recipient_kid", "not a request-decryption key of this deployment's keyservice");
        }

        if (state != KeyState.Enabled)
        {
            throw StrongroomException.FailedPrecondition($"recipient key version '{kid}' is {KeyLogEntry.Snake(state)}; fetch the current key and send a new request");
        }
    }
}
