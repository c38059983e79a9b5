using Strongroom.KeyCustody;
using Strongroom.Signer.Domain;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Grpc;

/// <summary>Domain records to and from signer.v1 messages (KeyAdmin's are KeyAdminMapping's).</summary>
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
}
