using Grpc.Core;
using Strongroom.Core;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Requests.Lookup;

/// <summary>
/// Looks client keys up with storage's LookupKey; <see cref="ClientKeyReplay"/> decides owner and
/// state from the log entries themselves, not from storage's convenience fields. The one gRPC client
/// in this library, kept in Lookup/ so the envelope checks beside it never call a service.
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
        return response is null ? null : ClientKeyReplay.FromEntries(response.Kid, response.Entries.Select(e => e.EntryJson.ToByteArray()));
    }

    public async Task<ClientSealingKey?> FindSealingKeyAsync(string kid, CancellationToken cancellationToken)
    {
        var response = await LookupAsync(new StorageApi.LookupKeyRequest { Kid = kid }, "header.result_kid", cancellationToken);
        return response is null ? null : ClientKeyReplay.SealingKeyFromEntries(response.Kid, response.Entries.Select(e => e.EntryJson.ToByteArray()));
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
}
