using Strongroom.Crypto;

namespace Strongroom.KeyLog.Tests;

/// <summary>Replay gives each kid's current state; a verifier pins checkpoints and demands consistency.</summary>
public sealed class ReplayAndVerifierTests
{
    private const string Origin = "strongroom/keylog/test";

    [Fact]
    public void A_key_revoked_after_its_inclusion_is_revoked_in_the_replay_and_its_signatures_are_not_accepted()
    {
        using var key = Ed25519KeyPair.Generate();
        var published = EntryTests.Published(key);
        var replay = KeyLogReplayer.Replay([
            published.ToCanonicalJson(),
            new KeyStateChanged { Time = 1_700_000_100, Kid = published.Kid, State = KeyState.Revoked }.ToCanonicalJson(),
        ]);
        var state = replay.Find(published.Kid)!;
        Assert.Equal(KeyState.Revoked, state.State);
        Assert.Equal("spiffe://strongroom/signer", state.Owner);
        Assert.False(state.AcceptsSignatureIssuedAt(1_700_000_050));
    }

    [Fact]
    public void A_destroyed_key_accepts_only_signatures_issued_before_its_destroy_entry()
    {
        using var key = Ed25519KeyPair.Generate();
        var published = EntryTests.Published(key);
        var replay = KeyLogReplayer.Replay([
            published.ToCanonicalJson(),
            new KeyStateChanged { Time = 1_700_000_100, Kid = published.Kid, State = KeyState.Destroyed }.ToCanonicalJson(),
        ]);
        var state = replay.Find(published.Kid)!;
        Assert.True(state.AcceptsSignatureIssuedAt(1_700_000_099));
        Assert.False(state.AcceptsSignatureIssuedAt(1_700_000_100));
    }

    [Fact]
    public void A_log_that_binds_a_kid_twice_rebinds_an_alias_or_revives_a_revoked_key_is_invalid()
    {
        using var key = Ed25519KeyPair.Generate();
        var p = EntryTests.Published(key);
        var alias = new AliasBound { Time = 1, Alias = "fermions-key-1", Kid = p.Kid }.ToCanonicalJson();
        Assert.Throws<KeyLogFormatException>(() => KeyLogReplayer.Replay([p.ToCanonicalJson(), (p with { Version = 2 }).ToCanonicalJson()]));
        Assert.Throws<KeyLogFormatException>(() => KeyLogReplayer.Replay([p.ToCanonicalJson(), alias, alias]));
        Assert.Throws<KeyLogFormatException>(() => KeyLogReplayer.Replay([
            p.ToCanonicalJson(),
            new KeyStateChanged { Time = 2, Kid = p.Kid, State = KeyState.Revoked }.ToCanonicalJson(),
            new KeyStateChanged { Time = 3, Kid = p.Kid, State = KeyState.Enabled }.ToCanonicalJson(),
        ]));
        Assert.Throws<KeyLogFormatException>(() => KeyLogReplayer.Replay([new KeyStateChanged { Time = 3, Kid = p.Kid, State = KeyState.Enabled }.ToCanonicalJson()]));
    }

    [Fact]
    public void A_client_registration_must_name_keys_the_client_owns()
    {
        using var signing = Ed25519KeyPair.Generate();
        using var sealing = X25519KeyPair.Generate();
        var signingEntry = EntryTests.Published(signing, "spiffe://strongroom/client/alice", KeyKind.ClientSigning);
        using var sealingJwk = JsonWebKey.FromPublicKey(sealing.PublicKey);
        var (json, kid) = KeyPublished.NormalizeJwk(sealingJwk);
        var sealingEntry = new KeyPublished { Time = 1, Kid = kid, JwkJson = json, Owner = "spiffe://strongroom/client/alice", Kind = KeyKind.ClientSealing, KeyName = "sealing", Version = 1 };
        var registration = new ClientRegistered { Time = 2, Identity = "spiffe://strongroom/client/alice", SigningKid = signingEntry.Kid, SealingKid = kid, Aliases = [], RegistrationJwsDigest = KeyLogEntry.DigestOf("x.y.z") };
        var replay = KeyLogReplayer.Replay([signingEntry.ToCanonicalJson(), sealingEntry.ToCanonicalJson(), registration.ToCanonicalJson()]);
        Assert.Equal(kid, replay.Clients["spiffe://strongroom/client/alice"].SealingKid);
        Assert.Throws<KeyLogFormatException>(() => KeyLogReplayer.Replay([signingEntry.ToCanonicalJson(), sealingEntry.ToCanonicalJson(),
            (registration with { Identity = "spiffe://strongroom/client/mallory" }).ToCanonicalJson()]));
    }

    [Fact]
    public void A_verifier_follows_an_honest_log_and_refuses_a_truncated_or_forked_one()
    {
        using var logKey = Ed25519KeyPair.Generate();
        var verifier = new LogVerifier(new NoteVerifierKey("log", logKey.PublicKey), Origin);
        var entries = new List<byte[]>();
        for (var i = 0; i < 10; i++)
        {
            using var k = Ed25519KeyPair.Generate();
            entries.Add(EntryTests.Published(k, version: i + 1).ToCanonicalJson());
        }

        var leaves = entries.Select(e => MerkleTree.LeafHash(e)).ToList();
        string Note(IReadOnlyList<byte[]> l, int n) => Checkpoint.Sign(Origin, n, MerkleTree.RootHash(l, n), logKey, "log");

        verifier.Advance(Note(leaves, 6));
        Assert.True(verifier.VerifyInclusion(entries[3], 3, MerkleTree.InclusionProof(leaves, 3, 6)));
        Assert.False(verifier.VerifyInclusion(entries[4], 3, MerkleTree.InclusionProof(leaves, 3, 6)));

        // Truncated: a smaller signed tree.
        Assert.Throws<KeyLogFormatException>(() => verifier.Advance(Note(leaves, 4), MerkleTree.ConsistencyProof(leaves, 4, 6)));
        // Forked: entry 2 replaced, then grown; the consistency proof from the pinned 6 cannot hold.
        var forked = leaves.ToList();
        forked[2] = MerkleTree.LeafHash("{}"u8);
        Assert.Throws<KeyLogFormatException>(() => verifier.Advance(Note(forked, 10), MerkleTree.ConsistencyProof(forked, 6, 10)));
        Assert.Equal(6, verifier.Pinned!.Size);

        verifier.Advance(Note(leaves, 10), MerkleTree.ConsistencyProof(leaves, 6, 10));
        var replay = verifier.ReplayAll(entries);
        Assert.Equal(10, replay.Keys.Count);
        var edited = entries.ToList();
        edited[7] = entries[8];
        Assert.Throws<KeyLogFormatException>(() => verifier.ReplayAll(edited));
    }
}
