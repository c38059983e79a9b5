using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Kms.Domain;

namespace Strongroom.Kms.Grpc;

/// <summary>
/// The Cloud KMS v1 surface of the local kms: maps messages to <see cref="KeyAdministration"/> and
/// <see cref="KeyEncryption"/> calls and back. The caller identity comes from the hosting interceptor
/// (mTLS, admin listener only); errors are <see cref="StrongroomException"/>s that the hosting
/// library maps to statuses.
/// </summary>
public sealed class KeyManagementGrpcService(KeyAdministration admin, KeyEncryption encryption) : KeyManagementService.KeyManagementServiceBase
{
    public override Task<ListKeyRingsResponse> ListKeyRings(ListKeyRingsRequest request, ServerCallContext context)
    {
        RequireNoFilter(request.Filter, request.OrderBy);
        var page = admin.ListKeyRings(Caller(context), request.Parent, request.PageSize, request.PageToken);
        var response = new ListKeyRingsResponse { NextPageToken = page.NextPageToken, TotalSize = page.TotalSize };
        response.KeyRings.AddRange(page.Items.Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<ListCryptoKeysResponse> ListCryptoKeys(ListCryptoKeysRequest request, ServerCallContext context)
    {
        RequireNoFilter(request.Filter, request.OrderBy);
        var page = admin.ListCryptoKeys(Caller(context), request.Parent, request.PageSize, request.PageToken);
        var response = new ListCryptoKeysResponse { NextPageToken = page.NextPageToken, TotalSize = page.TotalSize };
        response.CryptoKeys.AddRange(page.Items.Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<ListCryptoKeyVersionsResponse> ListCryptoKeyVersions(ListCryptoKeyVersionsRequest request, ServerCallContext context)
    {
        RequireNoFilter(request.Filter, request.OrderBy);
        var page = admin.ListCryptoKeyVersions(Caller(context), request.Parent, request.PageSize, request.PageToken);
        var response = new ListCryptoKeyVersionsResponse { NextPageToken = page.NextPageToken, TotalSize = page.TotalSize };
        response.CryptoKeyVersions.AddRange(page.Items.Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<KeyRing> GetKeyRing(GetKeyRingRequest request, ServerCallContext context) =>
        Task.FromResult(ToProto(admin.GetKeyRing(Caller(context), request.Name)));

    public override Task<CryptoKey> GetCryptoKey(GetCryptoKeyRequest request, ServerCallContext context)
    {
        context.AuditKey(request.Name);
        return Task.FromResult(ToProto(admin.GetCryptoKey(Caller(context), request.Name)));
    }

    public override Task<CryptoKeyVersion> GetCryptoKeyVersion(GetCryptoKeyVersionRequest request, ServerCallContext context)
    {
        var version = admin.GetCryptoKeyVersion(Caller(context), request.Name);
        Audit(context, version);
        return Task.FromResult(ToProto(version));
    }

    public override Task<KeyRing> CreateKeyRing(CreateKeyRingRequest request, ServerCallContext context)
    {
        var ring = admin.CreateKeyRing(Caller(context), request.Parent, request.KeyRingId);
        context.AuditKey(ring.Name);
        return Task.FromResult(ToProto(ring));
    }

    public override Task<CryptoKey> CreateCryptoKey(CreateCryptoKeyRequest request, ServerCallContext context)
    {
        var spec = ToSpec(request.CryptoKey ?? new CryptoKey(), request.SkipInitialVersionCreation);
        var key = admin.CreateCryptoKey(Caller(context), request.Parent, request.CryptoKeyId, spec);
        context.AuditKey(key.Name, key.Primary?.Number);
        return Task.FromResult(ToProto(key));
    }

    public override Task<CryptoKeyVersion> CreateCryptoKeyVersion(CreateCryptoKeyVersionRequest request, ServerCallContext context)
    {
        if (request.CryptoKeyVersion is { } template
            && (template.State != CryptoKeyVersion.Types.CryptoKeyVersionState.Unspecified || template.Algorithm != CryptoKeyVersion.Types.CryptoKeyVersionAlgorithm.Unspecified))
        {
            throw StrongroomException.InvalidArgument("crypto_key_version", "must be empty: new versions follow the key's template");
        }

        var version = admin.CreateCryptoKeyVersion(Caller(context), request.Parent);
        Audit(context, version);
        return Task.FromResult(ToProto(version));
    }

    public override Task<CryptoKey> UpdateCryptoKey(UpdateCryptoKeyRequest request, ServerCallContext context)
    {
        var key = request.CryptoKey ?? throw StrongroomException.InvalidArgument("crypto_key", "is required");
        var paths = request.UpdateMask?.Paths ?? [];
        if (paths.Count != 1 || paths[0] != "labels")
        {
            throw StrongroomException.InvalidArgument("update_mask", "only \"labels\" can be updated (rotation and destroy grace are fixed)");
        }

        context.AuditKey(key.Name);
        return Task.FromResult(ToProto(admin.UpdateLabels(Caller(context), key.Name, key.Labels)));
    }

    public override Task<CryptoKeyVersion> UpdateCryptoKeyVersion(UpdateCryptoKeyVersionRequest request, ServerCallContext context)
    {
        var version = request.CryptoKeyVersion ?? throw StrongroomException.InvalidArgument("crypto_key_version", "is required");
        var paths = request.UpdateMask?.Paths ?? [];
        if (paths.Count != 1 || paths[0] != "state")
        {
            throw StrongroomException.InvalidArgument("update_mask", "must be exactly \"state\"");
        }

        var target = version.State switch
        {
            CryptoKeyVersion.Types.CryptoKeyVersionState.Enabled => KeyVersionState.Enabled,
            CryptoKeyVersion.Types.CryptoKeyVersionState.Disabled => KeyVersionState.Disabled,
            _ => throw StrongroomException.InvalidArgument("crypto_key_version.state", "must be ENABLED or DISABLED"),
        };
        var updated = admin.SetVersionState(Caller(context), version.Name, target);
        Audit(context, updated);
        return Task.FromResult(ToProto(updated));
    }

    public override Task<CryptoKey> UpdateCryptoKeyPrimaryVersion(UpdateCryptoKeyPrimaryVersionRequest request, ServerCallContext context)
    {
        var key = admin.UpdatePrimaryVersion(Caller(context), request.Name, request.CryptoKeyVersionId);
        context.AuditKey(key.Name, key.Primary?.Number);
        return Task.FromResult(ToProto(key));
    }

    public override Task<CryptoKeyVersion> DestroyCryptoKeyVersion(DestroyCryptoKeyVersionRequest request, ServerCallContext context)
    {
        var version = admin.DestroyCryptoKeyVersion(Caller(context), request.Name);
        Audit(context, version);
        return Task.FromResult(ToProto(version));
    }

    public override Task<CryptoKeyVersion> RestoreCryptoKeyVersion(RestoreCryptoKeyVersionRequest request, ServerCallContext context)
    {
        var version = admin.RestoreCryptoKeyVersion(Caller(context), request.Name);
        Audit(context, version);
        return Task.FromResult(ToProto(version));
    }

    public override Task<EncryptResponse> Encrypt(EncryptRequest request, ServerCallContext context)
    {
        context.AuditKey(request.Name);
        var outcome = encryption.Encrypt(
            Caller(context),
            request.Name,
            request.Plaintext.Span,
            request.AdditionalAuthenticatedData.Span,
            request.PlaintextCrc32C,
            request.AdditionalAuthenticatedDataCrc32C);
        context.AuditKey(KeyOf(outcome.VersionName), VersionOf(outcome.VersionName));
        return Task.FromResult(new EncryptResponse
        {
            Name = outcome.VersionName,
            Ciphertext = ByteString.CopyFrom(outcome.Ciphertext),
            CiphertextCrc32C = Crypto.Crc32C.ComputeAsInt64(outcome.Ciphertext),
            VerifiedPlaintextCrc32C = outcome.VerifiedPlaintextCrc32C,
            VerifiedAdditionalAuthenticatedDataCrc32C = outcome.VerifiedAadCrc32C,
            ProtectionLevel = ProtectionLevel.Software,
        });
    }

    public override Task<DecryptResponse> Decrypt(DecryptRequest request, ServerCallContext context)
    {
        context.AuditKey(request.Name);
        var outcome = encryption.Decrypt(
            Caller(context),
            request.Name,
            request.Ciphertext.Span,
            request.AdditionalAuthenticatedData.Span,
            request.CiphertextCrc32C,
            request.AdditionalAuthenticatedDataCrc32C);
        try
        {
            return Task.FromResult(new DecryptResponse
            {
                Plaintext = ByteString.CopyFrom(outcome.Plaintext),
                PlaintextCrc32C = Crypto.Crc32C.ComputeAsInt64(outcome.Plaintext),
                UsedPrimary = outcome.UsedPrimary,
                ProtectionLevel = ProtectionLevel.Software,
            });
        }
        finally
        {
            // The DEK leaves in the response only; the domain's copy is zeroed.
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(outcome.Plaintext);
        }
    }

    private static Pki.WorkloadIdentity Caller(ServerCallContext context) => context.GetCaller().Identity;

    private static void Audit(ServerCallContext context, KeyVersionView version) =>
        context.AuditKey(KeyOf(version.Name), version.Number);

    private static string KeyOf(string versionName) => versionName[..versionName.LastIndexOf("/cryptoKeyVersions/", StringComparison.Ordinal)];

    private static long VersionOf(string versionName) =>
        long.Parse(versionName[(versionName.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static void RequireNoFilter(string filter, string orderBy)
    {
        if (!string.IsNullOrEmpty(filter))
        {
            throw StrongroomException.InvalidArgument("filter", "is not supported by the local kms");
        }

        if (!string.IsNullOrEmpty(orderBy))
        {
            throw StrongroomException.InvalidArgument("order_by", "is not supported by the local kms");
        }
    }

    /// <summary>Only what Strongroom uses: symmetric ENCRYPT_DECRYPT keys in software, never rotated automatically.</summary>
    private static CryptoKeySpec ToSpec(CryptoKey key, bool skipInitialVersion)
    {
        if (key.Purpose != CryptoKey.Types.CryptoKeyPurpose.EncryptDecrypt)
        {
            throw StrongroomException.InvalidArgument("crypto_key.purpose", "must be ENCRYPT_DECRYPT");
        }

        if (key.VersionTemplate is { } template
            && (template.Algorithm is not (CryptoKeyVersion.Types.CryptoKeyVersionAlgorithm.Unspecified or CryptoKeyVersion.Types.CryptoKeyVersionAlgorithm.GoogleSymmetricEncryption)
                || template.ProtectionLevel is not (ProtectionLevel.Unspecified or ProtectionLevel.Software)))
        {
            throw StrongroomException.InvalidArgument("crypto_key.version_template", "only GOOGLE_SYMMETRIC_ENCRYPTION in SOFTWARE is supported");
        }

        if (key.RotationPeriod is not null || key.NextRotationTime is not null)
        {
            // DESIGN §1: a KEK rotates only together with its application key, never on a schedule.
            throw StrongroomException.InvalidArgument("crypto_key.rotation_period", "automatic rotation is not supported");
        }

        if (key.ImportOnly)
        {
            throw StrongroomException.InvalidArgument("crypto_key.import_only", "imports are not supported");
        }

        if (!string.IsNullOrEmpty(key.CryptoKeyBackend))
        {
            throw StrongroomException.InvalidArgument("crypto_key.crypto_key_backend", "is not supported");
        }

        TimeSpan? grace = null;
        if (key.DestroyScheduledDuration is { } duration)
        {
            if (duration.Nanos != 0)
            {
                throw StrongroomException.InvalidArgument("crypto_key.destroy_scheduled_duration", "must be a whole number of seconds");
            }

            if (duration.Seconds < 0 || duration.Seconds > (long)KeyManagerSettings.MaxDestroyGrace.TotalSeconds)
            {
                throw StrongroomException.InvalidArgument("crypto_key.destroy_scheduled_duration", "must be between 24 hours and 120 days");
            }

            grace = TimeSpan.FromSeconds(duration.Seconds);
        }

        return new CryptoKeySpec(grace, key.Labels, skipInitialVersion);
    }

    private static KeyRing ToProto(KeyRingView ring) => new()
    {
        Name = ring.Name,
        CreateTime = Timestamp.FromDateTimeOffset(ring.CreateTime),
    };

    private static CryptoKey ToProto(CryptoKeyView key)
    {
        var proto = new CryptoKey
        {
            Name = key.Name,
            Purpose = CryptoKey.Types.CryptoKeyPurpose.EncryptDecrypt,
            CreateTime = Timestamp.FromDateTimeOffset(key.CreateTime),
            VersionTemplate = new CryptoKeyVersionTemplate
            {
                Algorithm = CryptoKeyVersion.Types.CryptoKeyVersionAlgorithm.GoogleSymmetricEncryption,
                ProtectionLevel = ProtectionLevel.Software,
            },
            DestroyScheduledDuration = Duration.FromTimeSpan(key.DestroyGrace),
            Primary = key.Primary is { } primary ? ToProto(primary) : null,
        };
        foreach (var (name, value) in key.Labels)
        {
            proto.Labels[name] = value;
        }

        return proto;
    }

    private static CryptoKeyVersion ToProto(KeyVersionView version) => new()
    {
        Name = version.Name,
        State = version.State switch
        {
            KeyVersionState.Enabled => CryptoKeyVersion.Types.CryptoKeyVersionState.Enabled,
            KeyVersionState.Disabled => CryptoKeyVersion.Types.CryptoKeyVersionState.Disabled,
            KeyVersionState.DestroyScheduled => CryptoKeyVersion.Types.CryptoKeyVersionState.DestroyScheduled,
            _ => CryptoKeyVersion.Types.CryptoKeyVersionState.Destroyed,
        },
        ProtectionLevel = ProtectionLevel.Software,
        Algorithm = CryptoKeyVersion.Types.CryptoKeyVersionAlgorithm.GoogleSymmetricEncryption,
        CreateTime = Timestamp.FromDateTimeOffset(version.CreateTime),
        GenerateTime = Timestamp.FromDateTimeOffset(version.CreateTime),
        DestroyTime = version.DestroyTime is { } d ? Timestamp.FromDateTimeOffset(d) : null,
        DestroyEventTime = version.DestroyEventTime is { } e ? Timestamp.FromDateTimeOffset(e) : null,
    };
}
