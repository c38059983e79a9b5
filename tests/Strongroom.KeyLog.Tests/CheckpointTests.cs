using System.Text;
using Strongroom.Crypto;

namespace Strongroom.KeyLog.Tests;

/// <summary>C2SP signed notes and tlog checkpoints.</summary>
public sealed class CheckpointTests
{
    private const string Origin = "strongroom/keylog/test";

    [Fact]
    public void The_signed_note_specifications_example_verifier_key_parses_with_its_key_hash()
    {
        // From the signed-note specification (and golang.org/x/mod/sumdb/note): the key hash is
        // SHA-256(name || "\n" || 0x01 || key)[:4], so Parse recomputing it is a known answer.
        var key = NoteVerifierKey.Parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        Assert.Equal("PeterNeumann", key.Name);
        Assert.Equal(0xc74f20a3u, key.KeyId);
        Assert.Equal("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", key.ToString());
        Assert.Throws<KeyLogFormatException>(() => NoteVerifierKey.Parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    }

    [Fact]
    public void Verifier_keys_whose_base64_contains_a_plus_round_trip()
    {
        for (var i = 0; i < 64; i++)
        {
            using var key = Ed25519KeyPair.Generate();
            var verifier = new NoteVerifierKey("log", key.PublicKey);
            var parsed = NoteVerifierKey.Parse(verifier.ToString());
            Assert.Equal(verifier.KeyId, parsed.KeyId);
            Assert.Equal(verifier.PublicKey, parsed.PublicKey);
        }
    }

    [Fact]
    public void The_specifications_example_note_verifies_and_an_edited_one_does_not()
    {
        var key = NoteVerifierKey.Parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
        const string text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        const string note = text + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        Assert.Equal(text, SignedNote.Open(note, key));
        Assert.Throws<KeyLogFormatException>(() => SignedNote.Open(note.Replace("cryptography", "Cryptography", StringComparison.Ordinal), key));
    }

    [Fact]
    public void A_checkpoint_round_trips_and_has_the_tlog_checkpoint_layout()
    {
        using var logKey = Ed25519KeyPair.Generate();
        var root = MerkleTree.EmptyRoot();
        var note = Checkpoint.Sign(Origin, 0, root, logKey, "strongroom-log");
        var verifier = new NoteVerifierKey("strongroom-log", logKey.PublicKey);
        var lines = note.Split('\n');
        Assert.Equal([Origin, "0", Convert.ToBase64String(root), "", lines[4], ""], lines);
        Assert.StartsWith("\u2014 strongroom-log ", lines[4], StringComparison.Ordinal);
        var blob = Convert.FromBase64String(lines[4]["\u2014 strongroom-log ".Length..]);
        Assert.Equal(68, blob.Length);
        Assert.Equal(verifier.KeyId, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob));
        Assert.True(logKey.PublicKey.Verify(Encoding.UTF8.GetBytes(note[..note.IndexOf("\n\n", StringComparison.Ordinal)] + "\n"), blob.AsSpan(4)));

        var checkpoint = Checkpoint.Verify(note, verifier, Origin);
        Assert.Equal(0, checkpoint.Size);
        Assert.Equal(root, checkpoint.RootHash);
    }

    [Fact]
    public void A_checkpoint_by_another_key_for_another_origin_or_with_an_edited_body_is_refused()
    {
        using var logKey = Ed25519KeyPair.Generate();
        using var other = Ed25519KeyPair.Generate();
        var verifier = new NoteVerifierKey("strongroom-log", logKey.PublicKey);
        var root = MerkleTree.LeafHash([1]);
        var note = Checkpoint.Sign(Origin, 1, root, logKey, "strongroom-log");

        Assert.Throws<KeyLogFormatException>(() => Checkpoint.Verify(Checkpoint.Sign(Origin, 1, root, other, "strongroom-log"), verifier, Origin));
        Assert.Throws<KeyLogFormatException>(() => Checkpoint.Verify(note, verifier, "strongroom/keylog/prod"));
        Assert.Throws<KeyLogFormatException>(() => Checkpoint.Verify(note.Replace("\n1\n", "\n2\n", StringComparison.Ordinal), verifier, Origin));
        Assert.Throws<KeyLogFormatException>(() => Checkpoint.Verify(note.Replace("\n1\n", "\n01\n", StringComparison.Ordinal), verifier, Origin));
        Assert.Throws<KeyLogFormatException>(() => Checkpoint.Verify(note[..^1], verifier, Origin));
    }
}
