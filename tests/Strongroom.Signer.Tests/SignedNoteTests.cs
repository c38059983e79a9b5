using System.Text;
using Strongroom.Crypto;
using Strongroom.Signer.Domain;

namespace Strongroom.Signer.Tests;

/// <summary>
/// The C2SP signed-note encoding against the reference example of golang.org/x/mod/sumdb/note
/// (note_test.go: the PeterNeumann key and note). Ed25519 is deterministic, so our key ID, verifier
/// key and signature line must match it byte for byte for Go-ecosystem verifiers to accept ours.
/// </summary>
public sealed class SignedNoteTests
{
    private const string VerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string SignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string Text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string SignatureLine = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    private static byte[] PublicKey => Convert.FromBase64String(VerifierKey.Split('+', 3)[2])[1..];

    [Fact]
    public void The_key_ID_and_verifier_key_match_the_reference_example()
    {
        Assert.Equal("c74f20a3", Convert.ToHexStringLower(SignedNote.KeyId("PeterNeumann", PublicKey)));
        Assert.Equal(VerifierKey, SignedNote.VerifierKey("PeterNeumann", PublicKey));
    }

    [Fact]
    public void Signing_the_reference_text_reproduces_the_reference_signature_line()
    {
        var seed = Convert.FromBase64String(SignerKey.Split('+', 5)[4])[1..];
        using var key = Ed25519KeyPair.ImportSeed(seed);
        Assert.Equal(PublicKey, key.PublicKey.Export());
        var signature = key.Sign(Encoding.UTF8.GetBytes(Text));
        Assert.Equal(SignatureLine, SignedNote.SignatureLine("PeterNeumann", PublicKey, signature));
    }

    [Fact]
    public void The_reference_note_verifies_and_a_changed_text_or_name_does_not()
    {
        var note = Text + "\n" + SignatureLine;
        Assert.True(SignedNote.Verify(note, "PeterNeumann", PublicKey));
        Assert.False(SignedNote.Verify(note.Replace("cryptography", "cryptographY", StringComparison.Ordinal), "PeterNeumann", PublicKey));
        Assert.False(SignedNote.Verify(note, "PeterNeumann2", PublicKey));
    }

    [Fact]
    public void A_checkpoint_body_is_origin_size_and_base64_root_each_on_its_own_line()
    {
        var root = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Assert.Equal("strongroom/keylog/prod\n42\n" + Convert.ToBase64String(root) + "\n", SignedNote.Body("strongroom/keylog/prod", 42, root));
    }
}
