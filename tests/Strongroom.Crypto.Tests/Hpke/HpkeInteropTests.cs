using System.Text.Json.Nodes;
using Strongroom.Crypto.Tests.Support;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Hpke;

/// <summary>
/// Interop with an independent implementation, @hpke/core 1.9.0 + @hpke/chacha20poly1305 1.8.0 from
/// npm, driven through tests/node/hpke-interop.mjs, in both directions. Required in CI.
/// </summary>
public class HpkeInteropTests
{
    private const string Script = "hpke-interop.mjs";

    [Fact]
    public void Node_seals_and_strongroom_opens_in_sequence_with_matching_exports()
    {
        RequireHpkeCore();
        using var recipient = X25519KeyPair.Generate();
        byte[] header = Utf8("header as AAD");
        byte[] body = SecureRandom.GetBytes(1000);

        JsonNode sealedByNode = NodeScript.Run(Script, "seal", new JsonObject
        {
            ["pkR"] = ToHex(recipient.PublicKey.Export()),
            ["info"] = ToHex(Strongroom.Crypto.Hpke.RequestInfo),
            ["messages"] = new JsonArray(
                new JsonObject { ["aad"] = ToHex(header), ["pt"] = ToHex(body) },
                new JsonObject { ["aad"] = "", ["pt"] = "" }),
            ["exports"] = new JsonArray(new JsonObject { ["context"] = ToHex(Utf8("ctx")), ["L"] = 48 }),
        });

        byte[] enc = Hex((string)sealedByNode["enc"]!);
        using HpkeRecipientContext context = Strongroom.Crypto.Hpke.SetupBaseRecipient(enc, recipient, Strongroom.Crypto.Hpke.RequestInfo);
        Assert.Equal(body, context.Open(header, Hex((string)sealedByNode["cts"]![0]!)));
        Assert.Empty(context.Open([], Hex((string)sealedByNode["cts"]![1]!)));
        Assert.Equal((string)sealedByNode["exports"]![0]!, ToHex(context.Export(Utf8("ctx"), 48)));

        // The runner's path: keyservice hands out (key, base_nonce) only.
        using HpkeMessageKeys keys = Strongroom.Crypto.Hpke.DecapsulateMessageKeys(enc, recipient, Strongroom.Crypto.Hpke.RequestInfo);
        using var opener = new HpkeOpener(keys);
        Assert.Equal(body, opener.Open(header, Hex((string)sealedByNode["cts"]![0]!)));
    }

    [Fact]
    public void Strongroom_seals_and_node_opens_in_sequence_with_matching_exports()
    {
        RequireHpkeCore();
        JsonNode nodeKey = NodeScript.Run(Script, "keygen");
        var recipient = X25519PublicKey.Import(Hex((string)nodeKey["pkR"]!));
        byte[] jobId = Utf8("job-0042");
        byte[] result = SecureRandom.GetBytes(777);

        using HpkeSenderContext sender = Strongroom.Crypto.Hpke.SetupBaseSender(recipient, Strongroom.Crypto.Hpke.ResultInfo);
        byte[] ct0 = sender.Seal(jobId, result);
        byte[] ct1 = sender.Seal([], Utf8("second"));
        byte[] exported = sender.Export([], 32);

        JsonNode opened = NodeScript.Run(Script, "open", new JsonObject
        {
            ["skR"] = (string)nodeKey["skR"]!,
            ["enc"] = ToHex(sender.EncapsulatedKey),
            ["info"] = ToHex(Strongroom.Crypto.Hpke.ResultInfo),
            ["messages"] = new JsonArray(
                new JsonObject { ["aad"] = ToHex(jobId), ["ct"] = ToHex(ct0) },
                new JsonObject { ["aad"] = "", ["ct"] = ToHex(ct1) }),
            ["exports"] = new JsonArray(new JsonObject { ["context"] = "", ["L"] = 32 }),
        });

        Assert.Equal(ToHex(result), (string)opened["pts"]![0]!);
        Assert.Equal(ToHex(Utf8("second")), (string)opened["pts"]![1]!);
        Assert.Equal(ToHex(exported), (string)opened["exports"]![0]!);
    }

    [Fact]
    public void Node_refuses_a_strongroom_ciphertext_with_a_tampered_aad()
    {
        RequireHpkeCore();
        JsonNode nodeKey = NodeScript.Run(Script, "keygen");
        HpkeSealedMessage m = Strongroom.Crypto.Hpke.Seal(X25519PublicKey.Import(Hex((string)nodeKey["pkR"]!)), Strongroom.Crypto.Hpke.ResultInfo, Utf8("job-1"), Utf8("out"));
        (int exitCode, string stdout, _) = NodeScript.TryRun(Script, "open", new JsonObject
        {
            ["skR"] = (string)nodeKey["skR"]!,
            ["enc"] = ToHex(m.EncapsulatedKey),
            ["info"] = ToHex(Strongroom.Crypto.Hpke.ResultInfo),
            ["messages"] = new JsonArray(new JsonObject { ["aad"] = ToHex(Utf8("job-2")), ["ct"] = ToHex(m.Ciphertext) }),
        });
        Assert.Equal(1, exitCode);
        Assert.Contains("error", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_opens_the_rfc9180_appendix_a2_ciphertexts_we_test_against()
    {
        RequireHpkeCore();
        // Independent confirmation that the RFC bytes pinned in HpkeRfc9180Tests are right.
        JsonNode opened = NodeScript.Run(Script, "open", new JsonObject
        {
            ["skR"] = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb",
            ["enc"] = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
            ["info"] = "4f6465206f6e2061204772656369616e2055726e",
            ["messages"] = new JsonArray(
                new JsonObject { ["aad"] = "436f756e742d30", ["ct"] = "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28" },
                new JsonObject { ["aad"] = "436f756e742d31", ["ct"] = "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c" }),
            ["exports"] = new JsonArray(new JsonObject { ["context"] = "", ["L"] = 32 }),
        });
        Assert.Equal("4265617574792069732074727574682c20747275746820626561757479", (string)opened["pts"]![1]!);
        Assert.Equal("4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e", (string)opened["exports"]![0]!);
    }

    private static void RequireHpkeCore() => NodeScript.RequirePackages("@hpke/core", "@hpke/chacha20poly1305");
}
