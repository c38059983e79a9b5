using System.Text;
using Strongroom.Crypto;

namespace Strongroom.KeyLog.Tests;

/// <summary>The closed entry schemas: what is written is the canonical form, and nothing else parses.</summary>
public sealed class EntryTests
{
    internal static KeyPublished Published(Ed25519KeyPair key, string owner = "spiffe://strongroom/signer", KeyKind kind = KeyKind.ResultSigning, long version = 1, long time = 1_700_000_000)
    {
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        var (json, kid) = KeyPublished.NormalizeJwk(jwk);
        return new KeyPublished { Time = time, Kid = kid, JwkJson = json, Owner = owner, Kind = kind, KeyName = "results", Version = version };
    }

    [Fact]
    public void Every_entry_type_round_trips_through_its_canonical_json()
    {
        using var key = Ed25519KeyPair.Generate();
        var published = Published(key);
        var digest = KeyLogEntry.DigestOf("a.b.c");
        KeyLogEntry[] entries =
        [
            published,
            new AliasBound { Time = 1, Alias = "fermions-key-1", Kid = published.Kid },
            new ClientRegistered { Time = 2, Identity = "spiffe://strongroom/client/alice", SigningKid = published.Kid, SealingKid = published.Kid, Aliases = ["a", "b"], RegistrationJwsDigest = digest },
            new KeyStateChanged { Time = 3, Kid = published.Kid, State = KeyState.DestroyScheduled },
            new KeyVersionMarked { Time = 4, Kid = published.Kid, Mark = KeyMark.MinimumVersion },
            new ClientKeysRevoked { Time = 5, Identity = "spiffe://strongroom/client/alice", RevokedKids = [published.Kid], RevocationJwsDigest = digest },
            new AuditAnchor { Time = 6, Service = "spiffe://strongroom/kms", Size = 10, HeadHash = digest },
        ];
        foreach (var entry in entries)
        {
            var json = entry.ToCanonicalJson();
            Assert.True(CanonicalJson.IsCanonical(json));
            Assert.Equal(entry, KeyLogEntry.Parse(json));
        }

        Assert.Equal(
            $"{{\"kid\":\"{published.Kid}\",\"state\":\"destroy_scheduled\",\"time\":3,\"type\":\"key_state_changed\"}}",
            Encoding.UTF8.GetString(entries[3].ToCanonicalJson()));
    }

    [Theory]
    [InlineData("{\"kid\":\"K\",\"state\":\"enabled\",\"time\":3,\"type\":\"key_state_changed\",\"extra\":\"x\"}")]
    [InlineData("{\"kid\":\"K\",\"time\":3,\"type\":\"key_state_changed\"}")]
    [InlineData("{\"kid\":\"K\",\"state\":\"gone\",\"time\":3,\"type\":\"key_state_changed\"}")]
    [InlineData("{\"kid\":\"K\",\"state\":\"enabled\",\"time\":\"3\",\"type\":\"key_state_changed\"}")]
    [InlineData("{\"kid\":\"K\",\"state\":\"enabled\",\"time\":3.5,\"type\":\"key_state_changed\"}")]
    [InlineData("{\"kid\":\"K\",\"state\":\"enabled\",\"time\":3,\"type\":\"key_renamed\"}")]
    [InlineData("{\"kid\":\"not-a-thumbprint\",\"state\":\"enabled\",\"time\":3,\"type\":\"key_state_changed\"}")]
    [InlineData("{\"state\":\"enabled\",\"kid\":\"K\",\"time\":3,\"type\":\"key_state_changed\"}")]
    public void Entries_outside_their_schema_or_not_canonical_are_refused(string template)
    {
        var json = template.Replace("\"K\"", "\"" + new string('A', 43) + "\"", StringComparison.Ordinal);
        Assert.Throws<KeyLogFormatException>(() => KeyLogEntry.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void A_key_entry_whose_kid_is_not_the_thumbprint_of_its_jwk_is_refused()
    {
        using var a = Ed25519KeyPair.Generate();
        using var b = Ed25519KeyPair.Generate();
        var forged = Published(a) with { Kid = Published(b).Kid };
        Assert.Throws<KeyLogFormatException>(() => forged.ToCanonicalJson());
    }

    [Fact]
    public void Private_jwks_are_never_normalized_for_publication()
    {
        using var key = Ed25519KeyPair.Generate(exportable: true);
        var seed = key.ExportSeed();
        var privateJwk = $"{{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"{StrictBase64.EncodeUrl(key.PublicKey.Export())}\",\"d\":\"{StrictBase64.EncodeUrl(seed)}\"}}";
        using var jwk = JsonWebKey.Parse(privateJwk);
        Assert.Throws<KeyLogFormatException>(() => KeyPublished.NormalizeJwk(jwk));
    }
}
