using System.Text.Json.Nodes;
using static Strongroom.KeyLog.EntrySchema;

namespace Strongroom.KeyLog;

/// <summary>
/// <c>client_registered</c>: an operator-signed registration. The keys themselves are
/// <c>key_published</c> entries owned by the client; <c>registration_jws_digest</c> names the
/// operator's JWS (base64url SHA-256 of its compact form).
/// </summary>
public sealed record ClientRegistered : KeyLogEntry
{
    public const string TypeName = "client_registered";

    public required string Identity { get; init; }

    public required string SigningKid { get; init; }

    public required string SealingKid { get; init; }

    public required IReadOnlyList<string> Aliases { get; init; }

    public required string RegistrationJwsDigest { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [SigningKid, SealingKid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["identity"] = Identity;
        obj["signing_kid"] = SigningKid;
        obj["sealing_kid"] = SealingKid;
        obj["aliases"] = ToArray(Aliases);
        obj["registration_jws_digest"] = RegistrationJwsDigest;
    }

    internal static ClientRegistered From(JsonObject obj, long time)
    {
        Exactly(obj, "identity", "signing_kid", "sealing_kid", "aliases", "registration_jws_digest");
        var identity = CheckIdentity(Str(obj, "identity"), "identity");
        if (!identity.StartsWith("spiffe://strongroom/client/", StringComparison.Ordinal))
        {
            throw new KeyLogFormatException("'identity' must be a client identity");
        }

        return new ClientRegistered
        {
            Time = time,
            Identity = identity,
            SigningKid = CheckKid(Str(obj, "signing_kid"), "signing_kid"),
            SealingKid = CheckKid(Str(obj, "sealing_kid"), "sealing_kid"),
            Aliases = StrArray(obj, "aliases").Select(CheckAlias).ToList(),
            RegistrationJwsDigest = Digest(Str(obj, "registration_jws_digest"), "registration_jws_digest"),
        };
    }

    public bool Equals(ClientRegistered? other) =>
        other is not null && Time == other.Time && Identity == other.Identity && SigningKid == other.SigningKid
        && SealingKid == other.SealingKid && Aliases.SequenceEqual(other.Aliases) && RegistrationJwsDigest == other.RegistrationJwsDigest;

    public override int GetHashCode() => HashCode.Combine(Identity, SigningKid, SealingKid, Time);
}
