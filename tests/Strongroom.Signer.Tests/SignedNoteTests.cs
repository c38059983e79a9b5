using System.Buffers.Binary;
using System.Text;
using Strongroom.Crypto;
using Strongroom.KeyLog;

namespace Strongroom.Signer.Tests;

/// <summary>
/// The C2SP signed-note code the signer signs checkpoints with (libs/Strongroom.KeyLog), against the
/// reference example of golang.org/x/mod/sumdb/note (note_test.go: the PeterNeumann key and note).
/// Ed25519 is deterministic, so key ID, verifier key and signature line must match byte for byte for
/// Go-ecosystem verifiers to accept the signer's checkpoints.
/// </summary>
public sealed class SignedNoteTests
{
    private const string VerifierKeyText = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string SignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string Text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string SignatureLine = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    private static byte[] PublicKey => Convert.FromBase64String(VerifierKeyText.Split('+', 3)[2])[1..];

    [Fact]
    public void The_key_ID_and_verifier_key_match_the_reference_example()
    {
        var verifier = new NoteVerifierKey("PeterNeumann", Ed25519PublicKey.Import(PublicKey));
        Assert.Equal(0xc74f20a3u, verifier.KeyId);
        Assert.Equal(VerifierKeyText, verifier.ToString());
    }

    [Fact]
    public void Signing_the_reference_text_with_the_reference_key_gives_the_reference_signature_line()
    {
        var seed = Convert.FromBase64String(SignerKey.Split('+', 5)[4])[1..];
        using var key = Ed25519KeyPair.ImportSeed(seed);
        var verifier = new NoteVerifierKey("PeterNeumann", key.PublicKey);
        var blob = new byte[68];
        BinaryPrimitives.WriteUInt32BigEndian(blob, verifier.KeyId);
        key.Sign(Encoding.UTF8.GetBytes(Text)).CopyTo(blob, 4);
        Assert.Equal(SignatureLine, "\u2014 PeterNeumann " + Convert.ToBase64String(blob) + "\n");
    }

    [Fact]
    public void The_reference_note_opens_and_a_changed_text_does_not()
    {
        var verifier = NoteVerifierKey.Parse(VerifierKeyText);
        var note = Text + "\n" + SignatureLine;
        Assert.Equal(Text, SignedNote.Open(note, verifier));
        Assert.Throws<KeyLogFormatException>(() => SignedNote.Open(note.Replace("cryptography", "cryptographY", StringComparison.Ordinal), verifier));
    }

    [Fact]
    public void A_checkpoint_note_is_origin_size_and_base64_root_then_the_origin_named_signature()
    {
        var root = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        using var key = Ed25519KeyPair.Generate();
        var note = Checkpoint.Sign("strongroom/keylog/prod", 42, root, key, "strongroom/keylog/prod");
        Assert.StartsWith("strongroom/keylog/prod\n42\n" + Convert.ToBase64String(root) + "\n\n\u2014 strongroom/keylog/prod ", note, StringComparison.Ordinal);
        Assert.Equal(42, Checkpoint.Verify(note, new NoteVerifierKey("strongroom/keylog/prod", key.PublicKey), "strongroom/keylog/prod").Size);
    }
}
