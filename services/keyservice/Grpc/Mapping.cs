using Strongroom.Core;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyService.Domain;
using Api = Strongroom.KeyService.V1;

namespace Strongroom.KeyService.Grpc;

/// <summary>Domain records to and from keyservice.v1 messages (KeyAdmin's are KeyAdminMapping's).</summary>
internal static class Mapping
{
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
