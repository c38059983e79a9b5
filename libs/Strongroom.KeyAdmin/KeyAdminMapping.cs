using Strongroom.Core;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Api = Strongroom.KeyAdmin.V1;

namespace Strongroom.KeyAdmin;

/// <summary>KeyCustody records to and from keyadmin.v1 messages (also for the services' own admin methods that answer with them).</summary>
public static class KeyAdminMapping
{
    /// <summary>
    /// The custody kind for a requested kind, refused (INVALID_ARGUMENT naming kind) unless the
    /// service holds it: a signer must not hold decryption keys, nor keyservice signing keys.
    /// </summary>
    public static string ToKind(Api.KeyKind kind, IReadOnlyList<string> allowed)
    {
        if (kind == Api.KeyKind.Unspecified && allowed.Count == 1)
        {
            return allowed[0];
        }

        var name = kind switch
        {
            Api.KeyKind.Rsa4096 => Rsa4096Kind.KindName,
            Api.KeyKind.X25519 => X25519Kind.KindName,
            Api.KeyKind.Ed25519 => Ed25519Kind.KindName,
            _ => null,
        };
        return name is not null && allowed.Contains(name)
            ? name
            : throw StrongroomException.InvalidArgument("kind", "must be " + string.Join(" or ", allowed.Select(ProtoName)));
    }

    private static string ProtoName(string kind) => kind switch
    {
        Rsa4096Kind.KindName => "KEY_KIND_RSA_4096",
        X25519Kind.KindName => "KEY_KIND_X25519",
        Ed25519Kind.KindName => "KEY_KIND_ED25519",
        _ => kind,
    };

    public static Api.KeyKind ToApi(string kind) => kind switch
    {
        Rsa4096Kind.KindName => Api.KeyKind.Rsa4096,
        X25519Kind.KindName => Api.KeyKind.X25519,
        Ed25519Kind.KindName => Api.KeyKind.Ed25519,
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

    public static Api.KeyVersion ToApi(ManagedKey key, KeyVersion v, KeyAdminProfile profile) => new()
    {
        Version = (uint)v.Version,
        State = ToApi(v.State),
        Kid = profile.KidOf(key, v),
        KmsCryptoKeyVersion = $"{profile.KmsKeyRing}/cryptoKeys/{key.Name}/cryptoKeyVersions/{v.KmsVersion}",
        Imported = v.Imported,
        Revoked = v.Revoked,
        CreateTime = v.CreatedAt,
        DestroyTime = v.DestroyAt ?? 0,
        DestroyEventTime = v.DestroyedAt ?? 0,
    };

    public static Api.Key ToApi(ManagedKey key, IEnumerable<KeyVersion> versions, KeyAdminProfile profile)
    {
        var result = new Api.Key
        {
            KeyName = key.Name,
            Kind = ToApi(key.Kind),
            Purpose = profile.PurposeOf(key.Name),
            PrimaryVersion = (uint)key.PrimaryVersion,
            MinimumVersion = (uint)key.MinimumVersion,
            RotationPeriodSeconds = (long)key.RotationPeriod.TotalSeconds,
            NextRotationTime = key.NextRotationAt,
            DestroyScheduledSeconds = (long)key.DestroyGrace.TotalSeconds,
            KmsCryptoKey = $"{profile.KmsKeyRing}/cryptoKeys/{key.Name}",
            CreateTime = key.CreatedAt,
        };
        result.Versions.Add(versions.OrderBy(v => v.Version).Select(v => ToApi(key, v, profile)));
        return result;
    }

    public static int Version(uint version, string field = "version") =>
        version is >= 1 and <= int.MaxValue ? (int)version : throw StrongroomException.InvalidArgument(field, "must be at least 1");
}
