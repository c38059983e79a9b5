using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Envelopes;

/// <summary>The native request signature of DESIGN 3.2.</summary>
public class StrongroomEnvelopeTests
{
    [Fact]
    public void Signed_bytes_are_the_context_then_each_field_with_a_big_endian_u32_length()
    {
        byte[] signed = StrongroomEnvelope.SignedBytes(Utf8("hdr"), [0xE0, 0xE1], [0xC0]);
        Assert.Equal(
            ToHex(Utf8("strongroom/request/v1")) + "00" + "00000003" + ToHex(Utf8("hdr")) + "00000002" + "e0e1" + "00000001" + "c0",
            ToHex(signed));
        Assert.Equal(ToHex(Utf8("strongroom/request/v1")) + "00" + "000000000000000000000000", ToHex(StrongroomEnvelope.SignedBytes([], [], [])));
    }

    [Fact]
    public void Moving_a_byte_between_fields_changes_the_signed_bytes()
    {
        Assert.NotEqual(StrongroomEnvelope.SignedBytes(Utf8("ab"), Utf8("c"), []), StrongroomEnvelope.SignedBytes(Utf8("a"), Utf8("bc"), []));
    }

    [Fact]
    public void Envelope_signature_verifies_and_any_change_to_header_enc_or_ciphertext_breaks_it()
    {
        using var client = Ed25519KeyPair.Generate();
        using var runner = X25519KeyPair.Generate();
        byte[] header = Utf8("protobuf header bytes");
        HpkeSealedMessage m = Strongroom.Crypto.Hpke.Seal(runner.PublicKey, Strongroom.Crypto.Hpke.RequestInfo, header, Utf8("request"));
        byte[] signature = StrongroomEnvelope.Sign(client, header, m.EncapsulatedKey, m.Ciphertext);

        Assert.True(StrongroomEnvelope.Verify(client.PublicKey, header, m.EncapsulatedKey, m.Ciphertext, signature));
        Assert.Equal(signature, client.Sign(StrongroomEnvelope.SignedBytes(header, m.EncapsulatedKey, m.Ciphertext)));
        Assert.False(StrongroomEnvelope.Verify(client.PublicKey, Flip(header, 0), m.EncapsulatedKey, m.Ciphertext, signature));
        Assert.False(StrongroomEnvelope.Verify(client.PublicKey, header, Flip(m.EncapsulatedKey, 0), m.Ciphertext, signature));
        Assert.False(StrongroomEnvelope.Verify(client.PublicKey, header, m.EncapsulatedKey, Flip(m.Ciphertext, 0), signature));
        Assert.False(StrongroomEnvelope.Verify(client.PublicKey, header, m.EncapsulatedKey, m.Ciphertext, Flip(signature, 0)));
        Assert.False(StrongroomEnvelope.Verify(client.PublicKey, header, m.EncapsulatedKey, m.Ciphertext, signature.AsSpan(0, 63)));

        // A plain Ed25519 signature over the same fields without the context is not an envelope signature.
        byte[] withoutContext = client.Sign(StrongroomEnvelope.SignedBytes(header, m.EncapsulatedKey, m.Ciphertext).AsSpan(22));
        Assert.False(StrongroomEnvelope.Verify(client.PublicKey, header, m.EncapsulatedKey, m.Ciphertext, withoutContext));
    }
}
