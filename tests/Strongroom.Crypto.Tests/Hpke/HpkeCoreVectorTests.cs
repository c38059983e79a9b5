using System.Text.Json;
using Strongroom.Testing;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Hpke;

/// <summary>
/// Known answers made by @hpke/core for Strongroom's own info strings (tests/testdata/hpke): derive
/// both key pairs from ikm, reproduce enc and the ciphertexts for sequence numbers 0 and 1 with the
/// same ephemeral key, open both, and match the export.
/// </summary>
public class HpkeCoreVectorTests
{
    private const int VectorCount = 4;

    public static TheoryData<int> VectorIndexes => [.. Enumerable.Range(0, VectorCount)];

    [Fact]
    public void The_hpke_core_vector_file_holds_the_pinned_number_of_vectors_in_our_suite()
    {
        JsonElement[] vectors = Load();
        Assert.Equal(VectorCount, vectors.Length);
        Assert.All(vectors, v =>
        {
            Assert.Equal(0, v.GetProperty("mode").GetInt32());
            Assert.Equal(Strongroom.Crypto.Hpke.KemId, v.GetProperty("kem_id").GetInt32());
            Assert.Equal(Strongroom.Crypto.Hpke.KdfId, v.GetProperty("kdf_id").GetInt32());
            Assert.Equal(Strongroom.Crypto.Hpke.AeadId, v.GetProperty("aead_id").GetInt32());
        });
    }

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public void Hpke_core_vector_is_reproduced_and_opened(int index)
    {
        JsonElement v = Load()[index];
        byte[] info = Hex(v.GetProperty("info").GetString()!);
        var skE = new byte[32];
        Strongroom.Crypto.Hpke.DeriveKeyPairBytes(Hex(v.GetProperty("ikmE").GetString()!), skE);
        Assert.Equal(v.GetProperty("skEm").GetString(), ToHex(skE));

        using X25519KeyPair recipient = Strongroom.Crypto.Hpke.DeriveKeyPair(Hex(v.GetProperty("ikmR").GetString()!), exportable: true);
        Assert.Equal(v.GetProperty("skRm").GetString(), ToHex(recipient.ExportPrivateKey()));
        Assert.Equal(v.GetProperty("pkRm").GetString(), ToHex(recipient.PublicKey.Export()));

        using HpkeSenderContext sender = Strongroom.Crypto.Hpke.SetupBaseSender(recipient.PublicKey, info, skE);
        Assert.Equal(v.GetProperty("enc").GetString(), ToHex(sender.EncapsulatedKey));
        using HpkeRecipientContext receiver = Strongroom.Crypto.Hpke.SetupBaseRecipient(sender.EncapsulatedKey, recipient, info);

        JsonElement[] encryptions = [.. v.GetProperty("encryptions").EnumerateArray()];
        Assert.Equal([0, 1], encryptions.Select(e => e.GetProperty("seq").GetInt32()));
        foreach (JsonElement e in encryptions)
        {
            byte[] aad = Hex(e.GetProperty("aad").GetString()!);
            byte[] pt = Hex(e.GetProperty("pt").GetString()!);
            Assert.Equal(e.GetProperty("ct").GetString(), ToHex(sender.Seal(aad, pt)));
            Assert.Equal(pt, receiver.Open(aad, Hex(e.GetProperty("ct").GetString()!)));
        }

        foreach (JsonElement x in v.GetProperty("exports").EnumerateArray())
        {
            byte[] context = Hex(x.GetProperty("exporter_context").GetString()!);
            int length = x.GetProperty("L").GetInt32();
            Assert.Equal(x.GetProperty("exported_value").GetString(), ToHex(sender.Export(context, length)));
            Assert.Equal(x.GetProperty("exported_value").GetString(), ToHex(receiver.Export(context, length)));
        }
    }

    private static JsonElement[] Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.TestData("hpke", "x25519-sha256-chacha20poly1305-hpke-core.json")));
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
