using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyCustody;
using Strongroom.KeyService.Domain;
using Strongroom.KmsClient;
using Api = Strongroom.KeyService.V1;

namespace Strongroom.KeyService.Grpc;

/// <summary>Operator lifecycle methods (admin listener only; the policy table says so).</summary>
public sealed class KeyServiceAdminGrpc(KeyCustodian custodian, KeyImporter importer, KeyServiceOptions options, KekClient kms) : Api.KeyServiceAdmin.KeyServiceAdminBase
{
    public override async Task<Api.CreateKeyResponse> CreateKey(Api.CreateKeyRequest request, ServerCallContext context)
    {
        context.AuditKey(request.KeyName);
        if (request.KeyName == options.ImportKeyName)
        {
            throw StrongroomException.AlreadyExists($"key '{request.KeyName}'");
        }

        if (request.RotationPeriodSeconds < 0 || request.DestroyScheduledSeconds < 0)
        {
            throw StrongroomException.InvalidArgument("rotation_period_seconds", "must not be negative");
        }

        var key = await custodian.CreateKeyAsync(
            request.KeyName,
            Mapping.ToKind(request.Kind),
            request.RotationPeriodSeconds == 0 ? null : TimeSpan.FromSeconds(request.RotationPeriodSeconds),
            request.DestroyScheduledSeconds == 0 ? null : TimeSpan.FromSeconds(request.DestroyScheduledSeconds),
            context.CancellationToken,
            request.SkipInitialVersion);
        return new Api.CreateKeyResponse { Key = await KeyAsync(key.Name, context) };
    }

    public override async Task<Api.RotateKeyResponse> RotateKey(Api.RotateKeyRequest request, ServerCallContext context)
    {
        var v = await custodian.RotateAsync(request.KeyName, context.CancellationToken);
        context.AuditKey(request.KeyName, v.Version);
        return new Api.RotateKeyResponse { Version = await VersionAsync(request.KeyName, v, context) };
    }

    public override async Task<Api.GetKeyResponse> GetKey(Api.GetKeyRequest request, ServerCallContext context) =>
        new() { Key = await KeyAsync(request.KeyName, context) };

    public override async Task<Api.ListKeysResponse> ListKeys(Api.ListKeysRequest request, ServerCallContext context)
    {
        var pageSize = request.PageSize is <= 0 or > 100 ? 100 : request.PageSize;
        var offset = PageToken.Decode(request.PageToken);
        var keys = await custodian.ListKeysAsync(context.CancellationToken);
        var response = new Api.ListKeysResponse();
        foreach (var key in keys.Skip(offset).Take(pageSize))
        {
            response.Keys.Add(await KeyAsync(key.Name, context));
        }

        if (offset + pageSize < keys.Count)
        {
            response.NextPageToken = PageToken.Encode(offset + pageSize);
        }

        return response;
    }

    public override async Task<Api.EnableKeyVersionResponse> EnableKeyVersion(Api.EnableKeyVersionRequest request, ServerCallContext context) =>
        new() { Version = await VersionAsync(request.KeyName, await custodian.EnableVersionAsync(request.KeyName, Audit(request.KeyName, request.Version, context), context.CancellationToken), context) };

    public override async Task<Api.DisableKeyVersionResponse> DisableKeyVersion(Api.DisableKeyVersionRequest request, ServerCallContext context) =>
        new() { Version = await VersionAsync(request.KeyName, await custodian.DisableVersionAsync(request.KeyName, Audit(request.KeyName, request.Version, context), context.CancellationToken), context) };

    public override async Task<Api.SetMinimumVersionResponse> SetMinimumVersion(Api.SetMinimumVersionRequest request, ServerCallContext context)
    {
        await custodian.SetMinimumVersionAsync(request.KeyName, Audit(request.KeyName, request.MinimumVersion, context), context.CancellationToken);
        return new Api.SetMinimumVersionResponse { Key = await KeyAsync(request.KeyName, context) };
    }

    public override async Task<Api.SetRotationPeriodResponse> SetRotationPeriod(Api.SetRotationPeriodRequest request, ServerCallContext context)
    {
        context.AuditKey(request.KeyName);
        if (request.RotationPeriodSeconds < 0)
        {
            throw StrongroomException.InvalidArgument("rotation_period_seconds", "must not be negative");
        }

        await custodian.SetRotationPeriodAsync(request.KeyName, TimeSpan.FromSeconds(request.RotationPeriodSeconds), context.CancellationToken);
        return new Api.SetRotationPeriodResponse { Key = await KeyAsync(request.KeyName, context) };
    }

    public override async Task<Api.ScheduleDestroyKeyVersionResponse> ScheduleDestroyKeyVersion(Api.ScheduleDestroyKeyVersionRequest request, ServerCallContext context) =>
        new() { Version = await VersionAsync(request.KeyName, await custodian.ScheduleDestroyVersionAsync(request.KeyName, Audit(request.KeyName, request.Version, context), context.CancellationToken), context) };

    public override async Task<Api.RestoreKeyVersionResponse> RestoreKeyVersion(Api.RestoreKeyVersionRequest request, ServerCallContext context) =>
        new() { Version = await VersionAsync(request.KeyName, await custodian.RestoreVersionAsync(request.KeyName, Audit(request.KeyName, request.Version, context), context.CancellationToken), context) };

    public override async Task<Api.RevokeKeyVersionResponse> RevokeKeyVersion(Api.RevokeKeyVersionRequest request, ServerCallContext context) =>
        new() { Version = await VersionAsync(request.KeyName, await custodian.RevokeVersionAsync(request.KeyName, Audit(request.KeyName, request.Version, context), context.CancellationToken), context) };

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

    private static int Audit(string keyName, uint version, ServerCallContext context)
    {
        var v = Mapping.Version(version);
        context.AuditKey(keyName, v);
        return v;
    }

    private async Task<Api.Key> KeyAsync(string name, ServerCallContext context)
    {
        var key = await custodian.GetKeyAsync(name, context.CancellationToken);
        return Mapping.ToApi(key, await custodian.ListVersionsAsync(name, context.CancellationToken), kms.KeyRing);
    }

    private async Task<Api.KeyVersion> VersionAsync(string name, KeyVersion version, ServerCallContext context) =>
        Mapping.ToApi(await custodian.GetKeyAsync(name, context.CancellationToken), version, kms.KeyRing);
}
