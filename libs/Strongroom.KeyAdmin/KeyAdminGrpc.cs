using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyCustody;
using Api = Strongroom.KeyAdmin.V1;

namespace Strongroom.KeyAdmin;

/// <summary>
/// strongroom.keyadmin.v1.KeyAdmin over <see cref="KeyCustodian"/>, mapped on the admin listener of
/// keyservice and signer (the policy table says so); what differs per service comes from its
/// <see cref="KeyAdminProfile"/>. Lifecycle events reach the key log through the custodian's observers.
/// </summary>
public sealed class KeyAdminGrpc(KeyCustodian custodian, KeyAdminProfile profile) : Api.KeyAdmin.KeyAdminBase
{
    public override async Task<Api.CreateKeyResponse> CreateKey(Api.CreateKeyRequest request, ServerCallContext context)
    {
        context.AuditKey(request.KeyName);
        profile.CheckCreate(request);
        if (request.Purpose != Api.KeyPurpose.Unspecified && request.Purpose != profile.PurposeOf(request.KeyName))
        {
            throw StrongroomException.InvalidArgument("purpose", profile.PurposeRule);
        }

        if (request.RotationPeriodSeconds < 0 || request.DestroyScheduledSeconds < 0)
        {
            throw StrongroomException.InvalidArgument("rotation_period_seconds", "must not be negative");
        }

        if (request.SkipInitialVersion && !profile.CanImport)
        {
            // A key with no version here could never get one: only keyservice imports.
            throw StrongroomException.InvalidArgument("skip_initial_version", "this service cannot import keys, so every key needs an initial version");
        }

        var key = await custodian.CreateKeyAsync(
            request.KeyName,
            KeyAdminMapping.ToKind(request.Kind, profile.Kinds),
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
        await custodian.SetMinimumVersionAsync(request.KeyName, Audit(request.KeyName, request.MinimumVersion, context, "minimum_version"), context.CancellationToken);
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

    private static int Audit(string keyName, uint version, ServerCallContext context, string field = "version")
    {
        var v = KeyAdminMapping.Version(version, field);
        context.AuditKey(keyName, v);
        return v;
    }

    private async Task<Api.Key> KeyAsync(string name, ServerCallContext context)
    {
        var key = await custodian.GetKeyAsync(name, context.CancellationToken);
        return KeyAdminMapping.ToApi(key, await custodian.ListVersionsAsync(name, context.CancellationToken), profile);
    }

    private async Task<Api.KeyVersion> VersionAsync(string name, KeyVersion version, ServerCallContext context) =>
        KeyAdminMapping.ToApi(await custodian.GetKeyAsync(name, context.CancellationToken), version, profile);
}
