using System.Text.Json.Nodes;
using static Strongroom.KeyLog.EntrySchema;

namespace Strongroom.KeyLog;

/// <summary><c>client_keys_revoked</c>: an operator-signed revocation of a client's keys.</summary>
public sealed record ClientKeysRevoked : KeyLogEntry
{
    public const string TypeName = "client_keys_revoked";

    public required string Identity { get; init; }

    public required IReadOnlyList<string> RevokedKids { get; init; }

    public required string RevocationJwsDigest { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => RevokedKids;

    protected override void AddMembers(JsonObject obj)
    {
        obj["identity"] = Identity;
        obj["kids"] = ToArray(RevokedKids);
        obj["revocation_jws_digest"] = RevocationJwsDigest;
    }

    internal static ClientKeysRevoked From(JsonObject obj, long time)
    {
        Exactly(obj, "identity", "kids", "revocation_jws_digest");
        var kids = StrArray(obj, "kids").Select(k => CheckKid(k, "kids")).ToList();
        if (kids.Count == 0)
        {
            throw new KeyLogFormatException("'kids' is empty");
        }

        return new ClientKeysRevoked
        {
            Time = time,
            Identity = CheckIdentity(Str(obj, "identity"), "identity"),
            RevokedKids = kids,
            RevocationJwsDigest = Digest(Str(obj, "revocation_jws_digest"), "revocation_jws_digest"),
        };
    }

    public bool Equals(ClientKeysRevoked? other) =>
        other is not null && Time == other.Time && Identity == other.Identity && RevokedKids.SequenceEqual(other.RevokedKids) && RevocationJwsDigest == other.RevocationJwsDigest;

    public override int GetHashCode() => HashCode.Combine(Identity, RevocationJwsDigest, Time);
}
