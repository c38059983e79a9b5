using Strongroom.Core;
using Strongroom.KeyCustody;
using Strongroom.Signer.Domain;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Grpc;

/// <summary>Domain records to and from signer.v1 messages.</summary>
internal static class Mapping
{
    public static Api.KeyVersionState ToApi(KeyVersionState state) => state switch
    {
        KeyVersionState.Enabled => Api.KeyVersionState.Enabled,
        KeyVersionState.Disabled => Api.KeyVersionState.Disabled,
        KeyVersionState.DestroyScheduled => Api.KeyVersionState.DestroyScheduled,
        KeyVersionState.Destroyed => Api.KeyVersionState.Destroyed,
        _ => Api.KeyVersionState.Unspecified,
    };

    public static Api.KeyPurpose ToApi(SigningPurpose purpose) =>
        purpose == SigningPurpose.LogCheckpoint ? Api.KeyPurpose.LogCheckpoint : Api.KeyPurpose.Jws;

    public static Api.VerifyFailure ToApi(VerifyFailureReason reason) => reason switch
    {
        VerifyFailureReason.None => Api.VerifyFailure.Unspecified,
        VerifyFailureReason.Malformed => Api.VerifyFailure.Malformed,
        VerifyFailureReason.AlgorithmNotAllowed => Api.VerifyFailure.AlgorithmNotAllowed,
        VerifyFailureReason.ForbiddenHeader => Api.VerifyFailure.ForbiddenHeader,
        VerifyFailureReason.UnknownCriticalHeader => Api.VerifyFailure.UnknownCriticalHeader,
        VerifyFailureReason.UnknownKey => Api.VerifyFailure.UnknownKey,
        VerifyFailureReason.KeyRevoked => Api.VerifyFailure.KeyRevoked,
        VerifyFailureReason.SignedAfterDestroy => Api.VerifyFailure.SignedAfterDestroy,
        VerifyFailureReason.KeyBelowMinimumVersion => Api.VerifyFailure.KeyBelowMinimumVersion,
        VerifyFailureReason.TypeMismatch => Api.VerifyFailure.TypeMismatch,
        _ => Api.VerifyFailure.BadSignature,
    };

    public static Api.KeyVersion ToApi(ManagedKey key, KeyVersion v, string kmsKeyRing) => new()
    {
        Version = (uint)v.Version,
        State = ToApi(v.State),
        Kid = SignerKeys.KidOf(v.PublicKey),
        KmsCryptoKeyVersion = $"{kmsKeyRing}/cryptoKeys/{key.Name}/cryptoKeyVersions/{v.KmsVersion}",
        Revoked = v.Revoked,
        CreateTime = v.CreatedAt,
        DestroyTime = v.DestroyAt ?? 0,
        DestroyEventTime = v.DestroyedAt ?? 0,
    };

    public static Api.Key ToApi(ManagedKey key, SigningPurpose purpose, IEnumerable<KeyVersion> versions, string kmsKeyRing)
    {
        var result = new Api.Key
        {
            KeyName = key.Name,
            Purpose = ToApi(purpose),
            PrimaryVersion = (uint)key.PrimaryVersion,
            MinimumVersion = (uint)key.MinimumVersion,
            RotationPeriodSeconds = (long)key.RotationPeriod.TotalSeconds,
            NextRotationTime = key.NextRotationAt,
            DestroyScheduledSeconds = (long)key.DestroyGrace.TotalSeconds,
            KmsCryptoKey = $"{kmsKeyRing}/cryptoKeys/{key.Name}",
            CreateTime = key.CreatedAt,
        };
        result.Versions.Add(versions.OrderBy(v => v.Version).Select(v => ToApi(key, v, kmsKeyRing)));
        return result;
    }

    public static Api.PublicKey ToPublicKey(PublicVersion v) => new()
    {
        KeyName = v.Key.Name,
        Version = (uint)v.Version.Version,
        Purpose = ToApi(v.Purpose),
        State = ToApi(v.Version.State),
        Primary = v.Version.Version == v.Key.PrimaryVersion,
        Kid = v.Kid,
        JwkJson = v.JwkJson,
        CreateTime = v.Version.CreatedAt,
    };

    public static Api.Checkpoint ToApi(SignedCheckpoint checkpoint) => new()
    {
        Note = checkpoint.Note,
        TreeSize = (ulong)checkpoint.TreeSize,
        RootHash = Google.Protobuf.ByteString.CopyFrom(checkpoint.RootHash),
    };

    public static int Version(uint version, string field = "version") =>
        version is >= 1 and <= int.MaxValue ? (int)version : throw StrongroomException.InvalidArgument(field, "must be at least 1");
}
