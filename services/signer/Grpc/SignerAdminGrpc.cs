using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KmsClient;
using Strongroom.Signer.Domain;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Grpc;

/// <summary>Operator lifecycle methods (admin listener only; the policy table says so).</summary>
public sealed class SignerAdminGrpc(KeyCustodian custodian, SignerKeys keys, CheckpointSigner checkpoints, SignerOptions options, KekClient kms) : Api.SignerAdmin.SignerAdminBase
{
    public override async Task<Api.CreateKeyResponse> CreateKey(Api.CreateKeyRequest request, ServerCallContext context)
    {
        context.AuditKey(request.KeyName);
        var purpose = keys.PurposeOf(request.KeyName);
        if (request.Purpose != Api.KeyPurpose.Unspecified && request.Purpose != Mapping.ToApi(purpose))
        {
            // One log key, named in configuration: a second one would let checkpoints be signed by a key clients never pinned.
            throw StrongroomException.InvalidArgument("purpose", $"only the configured log key '{options.LogKeyName}' has purpose LOG_CHECKPOINT; every other key is JWS");
        }

        if (request.RotationPeriodSeconds < 0 || request.DestroyScheduledSeconds < 0)
        {
            throw StrongroomException.InvalidArgument("rotation_period_seconds", "must not be negative");
        }

        var key = await custodian.CreateKeyAsync(
            request.KeyName,
            Ed25519Kind.KindName,
            request.RotationPeriodSeconds == 0 ? null : TimeSpan.FromSeconds(request.RotationPeriodSeconds),
            request.DestroyScheduledSeconds == 0 ? null : TimeSpan.FromSeconds(request.DestroyScheduledSeconds),
            context.CancellationToken);
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
        var all = await custodian.ListKeysAsync(context.CancellationToken);
        var response = new Api.ListKeysResponse();
        foreach (var key in all.Skip(offset).Take(pageSize))
        {
            response.Keys.Add(await KeyAsync(key.Name, context));
        }

        if (offset + pageSize < all.Count)
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

    public override async Task<Api.GetLogKeyResponse> GetLogKey(Api.GetLogKeyRequest request, ServerCallContext context)
    {
        var v = await custodian.GetVersionAsync(options.LogKeyName, null, context.CancellationToken);
        context.AuditKey(options.LogKeyName, v.Version);
        return new Api.GetLogKeyResponse
        {
            KeyName = options.LogKeyName,
            Version = (uint)v.Version,
            Kid = SignerKeys.KidOf(v.PublicKey),
            NoteVerifierKey = checkpoints.VerifierKey(v.PublicKey),
            Origin = options.Origin,
        };
    }

    private static int Audit(string keyName, uint version, ServerCallContext context, string field = "version")
    {
        var v = Mapping.Version(version, field);
        context.AuditKey(keyName, v);
        return v;
    }

    private async Task<Api.Key> KeyAsync(string name, ServerCallContext context)
    {
        var key = await custodian.GetKeyAsync(name, context.CancellationToken);
        return Mapping.ToApi(key, keys.PurposeOf(name), await custodian.ListVersionsAsync(name, context.CancellationToken), kms.KeyRing);
    }

    private async Task<Api.KeyVersion> VersionAsync(string name, KeyVersion version, ServerCallContext context) =>
        Mapping.ToApi(await custodian.GetKeyAsync(name, context.CancellationToken), version, kms.KeyRing);
}
