using Google.Protobuf;
using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyCustody;
using Strongroom.KeyService.Domain;
using Api = Strongroom.KeyService.V1;

namespace Strongroom.KeyService.Grpc;

/// <summary>Public keys for everyone; per-message keys for the runner. Thin: the domain does the work.</summary>
public sealed class KeyServiceGrpc(KeyCustodian custodian, MessageKeyRelease keyRelease, KeyServiceOptions options) : Api.KeyService.KeyServiceBase
{
    private const int MaxPageSize = 100;

    public override async Task<Api.GetPublicKeyResponse> GetPublicKey(Api.GetPublicKeyRequest request, ServerCallContext context)
    {
        var key = await custodian.GetKeyAsync(request.KeyName, context.CancellationToken);
        int? version = request.Version == 0 ? null : Mapping.Version(request.Version);
        var v = await custodian.GetVersionAsync(request.KeyName, version, context.CancellationToken);
        if (v.State == KeyVersionState.Destroyed || v.Revoked)
        {
            throw StrongroomException.FailedPrecondition($"key '{request.KeyName}' version {v.Version} is {(v.Revoked ? "revoked" : "destroyed")}");
        }

        context.AuditKey(key.Name, v.Version);
        return new Api.GetPublicKeyResponse { PublicKey = Mapping.ToPublicKey(key, v) };
    }

    public override async Task<Api.ListPublicKeysResponse> ListPublicKeys(Api.ListPublicKeysRequest request, ServerCallContext context)
    {
        var pageSize = request.PageSize is <= 0 or > MaxPageSize ? MaxPageSize : request.PageSize;
        var offset = PageToken.Decode(request.PageToken);
        var all = new List<Api.PublicKey>();
        var keys = string.IsNullOrEmpty(request.KeyName)
            ? await custodian.ListKeysAsync(context.CancellationToken)
            : [await custodian.GetKeyAsync(request.KeyName, context.CancellationToken)];
        foreach (var key in keys.Where(k => k.Name != options.ImportKeyName))
        {
            foreach (var v in await custodian.ListVersionsAsync(key.Name, context.CancellationToken))
            {
                if (v.State != KeyVersionState.Destroyed && !v.Revoked)
                {
                    all.Add(Mapping.ToPublicKey(key, v));
                }
            }
        }

        var response = new Api.ListPublicKeysResponse();
        response.PublicKeys.Add(all.Skip(offset).Take(pageSize));
        if (offset + pageSize < all.Count)
        {
            response.NextPageToken = PageToken.Encode(offset + pageSize);
        }

        return response;
    }

    public override async Task<Api.UnwrapMessageKeyResponse> UnwrapMessageKey(Api.UnwrapMessageKeyRequest request, ServerCallContext context)
    {
        context.AuditKey(request.KeyName);
        var (key, owner) = await keyRelease.UnwrapStudioMlAsync(
            request.KeyName, request.Payload, request.Fingerprint, request.Signature, request.ClientIdentity, context.CancellationToken);
        return new Api.UnwrapMessageKeyResponse { MessageKey = UnsafeByteOperations.UnsafeWrap(key), OwnerIdentity = owner };
    }

    public override async Task<Api.DecapsulateResponse> Decapsulate(Api.DecapsulateRequest request, ServerCallContext context)
    {
        if (request.Envelope is null)
        {
            throw StrongroomException.InvalidArgument("envelope", "required");
        }

        var material = await keyRelease.DecapsulateAsync(request.Envelope, request.ClientIdentity, context.CancellationToken);
        return new Api.DecapsulateResponse
        {
            AeadKey = UnsafeByteOperations.UnsafeWrap(material.AeadKey),
            BaseNonce = UnsafeByteOperations.UnsafeWrap(material.BaseNonce),
        };
    }

    public override async Task<Api.CompleteRequestResponse> CompleteRequest(Api.CompleteRequestRequest request, ServerCallContext context)
    {
        switch (request.RequestCase)
        {
            case Api.CompleteRequestRequest.RequestOneofCase.StudiomlPayloadSha256:
                await keyRelease.CompleteStudioMlAsync(request.StudiomlPayloadSha256.Span, context.CancellationToken);
                break;
            case Api.CompleteRequestRequest.RequestOneofCase.Strongroom:
                await keyRelease.CompleteStrongroomAsync(request.Strongroom.ClientIdentity, request.Strongroom.RequestId.Span, context.CancellationToken);
                break;
            default:
                throw StrongroomException.InvalidArgument("request", "one of studioml_payload_sha256 or strongroom is required");
        }

        return new Api.CompleteRequestResponse();
    }
}
