using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyAdmin;
using Strongroom.KeyCustody;
using Strongroom.KeyService.Domain;
using Api = Strongroom.KeyService.V1;
using KeyAdminApi = Strongroom.KeyAdmin.V1;

namespace Strongroom.KeyService.Grpc;

/// <summary>
/// keyservice's own operator methods, import (admin listener only; the policy table says so); the
/// shared lifecycle methods are <see cref="KeyAdminGrpc"/>.
/// </summary>
public sealed class KeyServiceAdminGrpc(KeyCustodian custodian, KeyImporter importer, KeyAdminProfile profile) : Api.KeyServiceAdmin.KeyServiceAdminBase
{
    public override async Task<Api.GetImportKeyResponse> GetImportKey(Api.GetImportKeyRequest request, ServerCallContext context)
    {
        var (version, view) = await importer.GetImportKeyAsync(context.CancellationToken);
        return new Api.GetImportKeyResponse
        {
            Kid = view.Kid,
            PublicKey = Google.Protobuf.ByteString.CopyFrom(version.PublicKey),
            JwkJson = view.JwkJson,
        };
    }

    public override async Task<Api.ImportKeyResponse> ImportKey(Api.ImportKeyRequest request, ServerCallContext context)
    {
        context.AuditKey(request.KeyName);
        var v = await importer.ImportAsync(
            request.KeyName,
            Mapping.ToEncoding(request.Format),
            request.ImportKid,
            request.Enc.ToByteArray(),
            request.Ciphertext.ToByteArray(),
            request.SetPrimary,
            context.CancellationToken);
        context.AuditKey(request.KeyName, v.Version);
        return new Api.ImportKeyResponse { Version = await VersionAsync(request.KeyName, v, context) };
    }

    private async Task<KeyAdminApi.KeyVersion> VersionAsync(string name, KeyVersion version, ServerCallContext context) =>
        KeyAdminMapping.ToApi(await custodian.GetKeyAsync(name, context.CancellationToken), version, profile);
}
