using Strongroom.Core;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyService.Domain;
using Api = Strongroom.KeyService.V1;

namespace Strongroom.KeyService.Grpc;

/// <summary>Domain records to and from keyservice.v1 messages.</summary>
internal static class Mapping
{
    public static string ToKind(Api.KeyKind kind) => kind switch
    {
        Api.KeyKind.Rsa4096 => Rsa4096Kind.KindName,
        Api.KeyKind.X25519 => X25519Kind.KindName,
        _ => throw StrongroomException.InvalidArgument("kind", "must be KEY_KIND_RSA_4096 or KEY_KIND_X25519"),
    };

    public static Api.KeyKind ToApi(string kind) => kind switch
    {
        Rsa4096Kind.KindName => Api.KeyKind.Rsa4096,
        X25519Kind.KindName => Api.KeyKind.X25519,
        _ => Api.KeyKind.Unspecified,
    };

    public static Api.KeyVersionState ToApi(KeyVersionState state) => state switch
    {
        KeyVersionState.Enabled => Api.KeyVersionState.Enabled,
        KeyVersionState.Disabled => Api.KeyVersionState.Disabled,
        KeyVersionState.DestroyScheduled => Api.KeyVersionState.DestroyScheduled,
        KeyVersionState.Destroyed => Api.KeyVersionState.Destroyed,
        _ => Api.KeyVersionState.Unspecified,
    };

    public static ImportEncoding ToEncoding(Api.ImportFormat format) => format switch
    {
        Api.ImportFormat.Pkcs1Der => ImportEncoding.Pkcs1Der,
        Api.ImportFormat.Pkcs8Der => ImportEncoding.Pkcs8Der,
        Api.ImportFormat.RawX25519 => ImportEncoding.RawX25519,
        _ => throw StrongroomException.InvalidArgument("format", "must be set"),
    };

    public static Api.KeyVersion ToApi(ManagedKey key, KeyVersion v, string kmsKeyRing) => new()
    {
        Version = (uint)v.Version,
        State = ToApi(v.State),
        Kid = PublicKeyView.Of(key.Kind, v).Kid,
        KmsCryptoKeyVersion = $"{kmsKeyRing}/cryptoKeys/{key.Name}/cryptoKeyVersions/{v.KmsVersion}",
        Imported = v.Imported,
        Revoked = v.Revoked,
        CreateTime = v.CreatedAt,
        DestroyTime = v.DestroyAt ?? 0,
        DestroyEventTime = v.DestroyedAt ?? 0,
    };

    public static Api.Key ToApi(ManagedKey key, IEnumerable<KeyVersion> versions, string kmsKeyRing)
    {
        var result = new Api.Key
        {
            KeyName = key.Name,
            Kind = ToApi(key.Kind),
            PrimaryVersion = (uint)key.PrimaryVersion,
            MinimumVersion = (uint)key.MinimumVersion,
            RotationPeriodSeconds = (long)key.RotationPeriod.TotalSeconds,
            NextRotationTime = key.NextRotationAt,
            DestroyScheduledSeconds = (long)key.DestroyGrace.TotalSeconds,
            KmsCryptoKey = $"{kmsKeyRing}/cryptoKeys/{key.Name}",
            CreateTime = key.CreatedAt,
        };
        result.Versions.Add(versions.Select(v => ToApi(key, v, kmsKeyRing)));
        return result;
    }

    public static Api.PublicKey ToPublicKey(ManagedKey key, KeyVersion v)
    {
        var view = PublicKeyView.Of(key.Kind, v);
        return new Api.PublicKey
        {
            KeyName = key.Name,
            Version = (uint)v.Version,
            Kind = ToApi(key.Kind),
            State = ToApi(v.State),
            Primary = v.Version == key.PrimaryVersion,
            Kid = view.Kid,
            JwkJson = view.JwkJson,
            SpkiPem = view.SpkiPem,
            Pkcs1Pem = view.Pkcs1Pem ?? "",
            OpensshPublicKey = view.OpenSshPublicKey ?? "",
            OpensshFingerprint = view.OpenSshFingerprint ?? "",
            CreateTime = v.CreatedAt,
        };
    }

    public static int Version(uint version, string field = "version") =>
        version is >= 1 and <= int.MaxValue ? (int)version : throw StrongroomException.InvalidArgument(field, "must be at least 1");
}
