using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Hpke;

/// <summary>What HPKE must refuse, and with which error kind.</summary>
public class HpkeMisuseTests
{
    /// <summary>Low-order X25519 points (RFC 7748 / Wycheproof): each makes the DH output all zero.</summary>
    public static TheoryData<string> LowOrderPoints =>
    [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void Hpke_open_rejects_all_zero_shared_secret(string lowOrderEnc)
    {
        using var recipient = X25519KeyPair.Generate();
        var error = Assert.Throws<CryptoException>(() =>
            Strongroom.Crypto.Hpke.Open(recipient, Hex(lowOrderEnc), Strongroom.Crypto.Hpke.RequestInfo, [], new byte[32]));
        Assert.Equal(CryptoErrorKind.InvalidPublicKey, error.Kind);
        Assert.Throws<CryptoException>(() => Strongroom.Crypto.Hpke.DecapsulateMessageKeys(Hex(lowOrderEnc), recipient, Strongroom.Crypto.Hpke.RequestInfo));
    }

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void Hpke_seal_rejects_a_recipient_key_that_gives_an_all_zero_shared_secret(string lowOrderKey)
    {
        var error = Assert.Throws<CryptoException>(() =>
            Strongroom.Crypto.Hpke.Seal(X25519PublicKey.Import(Hex(lowOrderKey)), Strongroom.Crypto.Hpke.ResultInfo, [], Utf8("result")));
        Assert.Equal(CryptoErrorKind.InvalidPublicKey, error.Kind);
    }

    [Fact]
    public void Hpke_round_trip_opens_with_the_same_info_and_aad()
    {
        using var recipient = X25519KeyPair.Generate();
        HpkeSealedMessage message = Strongroom.Crypto.Hpke.Seal(recipient.PublicKey, Strongroom.Crypto.Hpke.RequestInfo, Utf8("header"), Utf8("request body"));
        Assert.Equal(32, message.EncapsulatedKey.Length);
        Assert.Equal(Utf8("request body").Length + 16, message.Ciphertext.Length);
        Assert.Equal(Utf8("request body"), Strongroom.Crypto.Hpke.Open(recipient, message.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, Utf8("header"), message.Ciphertext));
    }

    [Fact]
    public void Hpke_open_fails_when_ciphertext_aad_enc_or_info_is_tampered()
    {
        using var recipient = X25519KeyPair.Generate();
        byte[] aad = Utf8("header");
        HpkeSealedMessage m = Strongroom.Crypto.Hpke.Seal(recipient.PublicKey, Strongroom.Crypto.Hpke.RequestInfo, aad, Utf8("request body"));

        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, aad, Flip(m.Ciphertext, 0)));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, aad, Flip(m.Ciphertext, m.Ciphertext.Length - 1)));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, Flip(aad, 3), m.Ciphertext));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, [], m.Ciphertext));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, Flip(m.EncapsulatedKey, 5), Strongroom.Crypto.Hpke.RequestInfo, aad, m.Ciphertext));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.ResultInfo, aad, m.Ciphertext));
        using var stranger = X25519KeyPair.Generate();
        AssertFails(() => Strongroom.Crypto.Hpke.Open(stranger, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, aad, m.Ciphertext));
    }

    [Fact]
    public void Hpke_open_fails_for_truncated_and_empty_ciphertexts()
    {
        using var recipient = X25519KeyPair.Generate();
        HpkeSealedMessage m = Strongroom.Crypto.Hpke.Seal(recipient.PublicKey, Strongroom.Crypto.Hpke.RequestInfo, [], Utf8("x"));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, [], m.Ciphertext.AsSpan(0, m.Ciphertext.Length - 1)));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, [], m.Ciphertext.AsSpan(0, 15)));
        AssertFails(() => Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.RequestInfo, [], []));
    }

    [Fact]
    public void Hpke_empty_plaintext_seals_to_a_bare_tag_and_opens()
    {
        using var recipient = X25519KeyPair.Generate();
        HpkeSealedMessage m = Strongroom.Crypto.Hpke.Seal(recipient.PublicKey, Strongroom.Crypto.Hpke.ResultInfo, [], []);
        Assert.Equal(16, m.Ciphertext.Length);
        Assert.Empty(Strongroom.Crypto.Hpke.Open(recipient, m.EncapsulatedKey, Strongroom.Crypto.Hpke.ResultInfo, [], m.Ciphertext));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void Hpke_open_refuses_an_encapsulated_key_of_the_wrong_length_as_malformed(int length)
    {
        using var recipient = X25519KeyPair.Generate();
        var error = Assert.Throws<CryptoException>(() => Strongroom.Crypto.Hpke.Open(recipient, new byte[length], Strongroom.Crypto.Hpke.RequestInfo, [], new byte[16]));
        Assert.Equal(CryptoErrorKind.Malformed, error.Kind);
    }

    [Fact]
    public void Hpke_failed_open_keeps_the_sequence_number_so_the_genuine_message_still_opens()
    {
        using var recipient = X25519KeyPair.Generate();
        using HpkeSenderContext sender = Strongroom.Crypto.Hpke.SetupBaseSender(recipient.PublicKey, Strongroom.Crypto.Hpke.ResultInfo);
        byte[] first = sender.Seal([], Utf8("first"));
        byte[] second = sender.Seal([], Utf8("second"));

        using HpkeRecipientContext receiver = Strongroom.Crypto.Hpke.SetupBaseRecipient(sender.EncapsulatedKey, recipient, Strongroom.Crypto.Hpke.ResultInfo);
        Assert.False(receiver.TryOpen([], Flip(first, 2), out _));
        Assert.False(receiver.TryOpen([], second, out _), "messages open only in order");
        Assert.Equal(0UL, receiver.SequenceNumber);
        Assert.Equal(Utf8("first"), receiver.Open([], first));
        Assert.Equal(Utf8("second"), receiver.Open([], second));
    }

    [Fact]
    public void Hpke_context_refuses_to_seal_when_the_sequence_number_is_exhausted()
    {
        using var recipient = X25519KeyPair.Generate();
        using HpkeSenderContext sender = Strongroom.Crypto.Hpke.SetupBaseSender(recipient.PublicKey, Strongroom.Crypto.Hpke.ResultInfo);
        sender.SetSequenceNumberForTesting(ulong.MaxValue);
        Assert.Equal(CryptoErrorKind.LimitExceeded, Assert.Throws<CryptoException>(() => sender.Seal([], [])).Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData((255 * 32) + 1)]
    public void Hpke_export_refuses_lengths_outside_one_to_255_hashes(int length)
    {
        using var recipient = X25519KeyPair.Generate();
        using HpkeSenderContext sender = Strongroom.Crypto.Hpke.SetupBaseSender(recipient.PublicKey, Strongroom.Crypto.Hpke.ResultInfo);
        Assert.Equal(CryptoErrorKind.LimitExceeded, Assert.Throws<CryptoException>(() => sender.Export([], length)).Kind);
        Assert.Equal(255 * 32, sender.Export([], 255 * 32).Length);
    }

    [Fact]
    public void Runner_opener_built_from_decapsulated_key_and_base_nonce_opens_the_request()
    {
        using var runnerKey = X25519KeyPair.Generate();
        byte[] header = Utf8("deterministic protobuf header");
        HpkeSealedMessage m = Strongroom.Crypto.Hpke.Seal(runnerKey.PublicKey, Strongroom.Crypto.Hpke.RequestInfo, header, Utf8("clear request"));

        // keyservice side: only (key, base_nonce) leave it.
        byte[] key, baseNonce;
        using (HpkeMessageKeys keys = Strongroom.Crypto.Hpke.DecapsulateMessageKeys(m.EncapsulatedKey, runnerKey, Strongroom.Crypto.Hpke.RequestInfo))
        {
            key = keys.Key.ToArray();
            baseNonce = keys.BaseNonce.ToArray();
        }

        // runner side.
        using var opener = new HpkeOpener(key, baseNonce);
        Assert.Equal(CryptoErrorKind.AuthenticationFailed, Assert.Throws<CryptoException>(() => opener.Open(Flip(header, 0), m.Ciphertext)).Kind);
        Assert.Equal(Utf8("clear request"), opener.Open(header, m.Ciphertext));
    }

    [Fact]
    public void Message_keys_are_unreadable_after_dispose()
    {
        using var recipient = X25519KeyPair.Generate();
        HpkeSealedMessage m = Strongroom.Crypto.Hpke.Seal(recipient.PublicKey, Strongroom.Crypto.Hpke.RequestInfo, [], [1]);
        HpkeMessageKeys keys = Strongroom.Crypto.Hpke.DecapsulateMessageKeys(m.EncapsulatedKey, recipient, Strongroom.Crypto.Hpke.RequestInfo);
        keys.Dispose();
        Assert.Throws<ObjectDisposedException>(() => keys.Key.ToArray());
        Assert.Throws<ObjectDisposedException>(() => keys.BaseNonce.ToArray());
    }

    [Theory]
    [InlineData(31, 12)]
    [InlineData(32, 11)]
    [InlineData(16, 12)]
    public void Hpke_opener_refuses_keys_and_nonces_of_the_wrong_length(int keyLength, int nonceLength)
    {
        var error = Assert.Throws<CryptoException>(() => new HpkeOpener(new byte[keyLength], new byte[nonceLength]));
        Assert.Equal(CryptoErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void Hpke_info_constants_are_the_design_strings()
    {
        Assert.Equal("strongroom/request/v1", System.Text.Encoding.ASCII.GetString(Strongroom.Crypto.Hpke.RequestInfo));
        Assert.Equal("strongroom/result/v1", System.Text.Encoding.ASCII.GetString(Strongroom.Crypto.Hpke.ResultInfo));
        Assert.Equal("KEM\0 "u8.ToArray(), Strongroom.Crypto.Hpke.KemSuiteId.ToArray());
        Assert.Equal(Hex("48504b45002000010003"), Strongroom.Crypto.Hpke.HpkeSuiteId.ToArray());
    }

    private static void AssertFails(Action open)
    {
        var error = Assert.Throws<CryptoException>(open);
        Assert.Equal(CryptoErrorKind.AuthenticationFailed, error.Kind);
    }
}
