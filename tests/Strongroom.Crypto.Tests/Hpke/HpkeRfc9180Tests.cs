using Strongroom.Crypto.Tests.Support;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Hpke;

/// <summary>
/// RFC 9180 Appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode —
/// Strongroom's exact suite. Every intermediate the appendix publishes is checked, so a failure says
/// which step is wrong. (The same ciphertexts and export are also opened by @hpke/core in
/// HpkeInteropTests, an independent check that these bytes are the RFC's.)
/// </summary>
public class HpkeRfc9180Tests
{
    private static readonly byte[] Info = Hex("4f6465206f6e2061204772656369616e2055726e");
    private static readonly byte[] IkmE = Hex("909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b");
    private static readonly byte[] PkEm = Hex("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a");
    private static readonly byte[] SkEm = Hex("f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600");
    private static readonly byte[] IkmR = Hex("1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df");
    private static readonly byte[] PkRm = Hex("4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a");
    private static readonly byte[] SkRm = Hex("8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb");
    private static readonly byte[] Enc = Hex("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a");
    private static readonly byte[] SharedSecret = Hex("0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7");
    private static readonly byte[] Key = Hex("ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91");
    private static readonly byte[] BaseNonce = Hex("5c4d98150661b848853b547f");
    private static readonly byte[] ExporterSecret = Hex("a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922");
    private static readonly byte[] Plaintext = Hex("4265617574792069732074727574682c20747275746820626561757479");
    private const string Ciphertext0 = "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28";
    private const string Ciphertext1 = "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c";

    /// <summary>(sequence number, aad, ciphertext) from A.2.1.1.</summary>
    public static readonly TheoryData<ulong, string, string> Encryptions = new()
    {
        { 0, "436f756e742d30", Ciphertext0 },
        { 1, "436f756e742d31", Ciphertext1 },
        { 2, "436f756e742d32", "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b" },
        { 4, "436f756e742d34", "63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122bb153495ff0b02e9e54a50dbe16" },
        { 255, "436f756e742d323535", "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c" },
        { 256, "436f756e742d323536", "7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076214c0c40d4c728d6ed9e727a5b" },
    };

    /// <summary>(exporter_context, exported value) from A.2.1.2, L = 32.</summary>
    public static readonly TheoryData<string, string> Exports = new()
    {
        { "", "4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e" },
        { "00", "8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69" },
        { "54657374436f6e74657874", "5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53" },
    };

    [Fact]
    public void Derive_key_pair_reproduces_the_appendix_key_pairs()
    {
        var sk = new byte[32];
        var pk = new byte[32];
        Strongroom.Crypto.Hpke.DeriveKeyPairBytes(IkmE, sk);
        X25519Ephemeral.DerivePublicKey(sk, pk);
        Assert.Equal(SkEm, sk);
        Assert.Equal(PkEm, pk);

        using X25519KeyPair recipient = Strongroom.Crypto.Hpke.DeriveKeyPair(IkmR, exportable: true);
        Assert.Equal(SkRm, recipient.ExportPrivateKey());
        Assert.Equal(PkRm, recipient.PublicKey.Export());
    }

    [Fact]
    public void Encap_and_decap_give_the_appendix_shared_secret()
    {
        var sharedSecret = new byte[32];
        var enc = new byte[32];
        Strongroom.Crypto.Hpke.Encap(X25519PublicKey.Import(PkRm), SkEm, sharedSecret, enc);
        Assert.Equal(Enc, enc);
        Assert.Equal(SharedSecret, sharedSecret);

        using var recipient = X25519KeyPair.Import(SkRm);
        var decapsulated = new byte[32];
        Strongroom.Crypto.Hpke.Decap(Enc, recipient, decapsulated);
        Assert.Equal(SharedSecret, decapsulated);
    }

    [Fact]
    public void Key_schedule_gives_the_appendix_key_base_nonce_and_exporter_secret()
    {
        HpkeSecrets secrets = Strongroom.Crypto.Hpke.KeySchedule(SharedSecret, Info);
        Assert.Equal(Key, secrets.Key);
        Assert.Equal(BaseNonce, secrets.BaseNonce);
        Assert.Equal(ExporterSecret, secrets.ExporterSecret);
    }

    [Theory]
    [MemberData(nameof(Encryptions))]
    public void Sender_reproduces_the_appendix_ciphertext_for_each_sequence_number(ulong sequenceNumber, string aad, string ciphertext)
    {
        using HpkeSenderContext sender = Strongroom.Crypto.Hpke.SetupBaseSender(X25519PublicKey.Import(PkRm), Info, SkEm);
        Assert.Equal(Enc, sender.EncapsulatedKey);
        sender.SetSequenceNumberForTesting(sequenceNumber);
        Assert.Equal(ciphertext, ToHex(sender.Seal(Hex(aad), Plaintext)));
        Assert.Equal(sequenceNumber + 1, sender.SequenceNumber);
    }

    [Theory]
    [MemberData(nameof(Encryptions))]
    public void Recipient_opens_the_appendix_ciphertext_for_each_sequence_number(ulong sequenceNumber, string aad, string ciphertext)
    {
        using var recipientKey = X25519KeyPair.Import(SkRm);
        using HpkeRecipientContext recipient = Strongroom.Crypto.Hpke.SetupBaseRecipient(Enc, recipientKey, Info);
        recipient.SetSequenceNumberForTesting(sequenceNumber);
        Assert.Equal(Plaintext, recipient.Open(Hex(aad), Hex(ciphertext)));
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void Both_contexts_export_the_appendix_values(string exporterContext, string exported)
    {
        using HpkeSenderContext sender = Strongroom.Crypto.Hpke.SetupBaseSender(X25519PublicKey.Import(PkRm), Info, SkEm);
        using var recipientKey = X25519KeyPair.Import(SkRm);
        using HpkeRecipientContext recipient = Strongroom.Crypto.Hpke.SetupBaseRecipient(Enc, recipientKey, Info);
        Assert.Equal(exported, ToHex(sender.Export(Hex(exporterContext), 32)));
        Assert.Equal(exported, ToHex(recipient.Export(Hex(exporterContext), 32)));
    }

    [Fact]
    public void Decapsulated_message_keys_are_the_appendix_key_and_base_nonce_and_open_in_sequence()
    {
        using var recipientKey = X25519KeyPair.Import(SkRm);
        using HpkeMessageKeys keys = Strongroom.Crypto.Hpke.DecapsulateMessageKeys(Enc, recipientKey, Info);
        Assert.Equal(Key, keys.Key.ToArray());
        Assert.Equal(BaseNonce, keys.BaseNonce.ToArray());

        using var opener = new HpkeOpener(keys);
        Assert.Equal(Plaintext, opener.Open(Hex("436f756e742d30"), Hex(Ciphertext0)));
        Assert.Equal(Plaintext, opener.Open(Hex("436f756e742d31"), Hex(Ciphertext1)));
        Assert.Equal(2UL, opener.SequenceNumber);
    }
}
