using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Strongroom.Crypto;
using Strongroom.Testing;

namespace Strongroom.Client.Tests;

public sealed class StudioMlMessageTests
{
    private static string Fixture(string name) => RepoPaths.TestData("fixtures", "studioml", name);

    private static Ed25519KeyPair FixtureClientKey() => OpenSsh.ParsePrivateKey(File.ReadAllText(Fixture("client_signing")));

    private static RSA FixtureRunnerPublicKey()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Fixture("studioml_message.pub.pem")));
        return rsa;
    }

    /// <summary>The runner's private key, decrypted from the seed's legacy PEM with its passphrase as the CLI does.</summary>
    private static RSA FixtureRunnerPrivateKey()
    {
        var passphrase = File.ReadAllText(Fixture("secret_phrase")).TrimEnd('\r', '\n').ToCharArray();
        using var reader = new StringReader(File.ReadAllText(Fixture("studioml_message.pem")));
        var parsed = new PemReader(reader, new Password(passphrase)).ReadObject();
        var key = parsed is AsymmetricCipherKeyPair pair ? pair.Private : (AsymmetricKeyParameter)parsed;
        var der = PrivateKeyInfoFactory.CreatePrivateKeyInfo((RsaPrivateCrtKeyParameters)key).GetDerEncoded();
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(der, out _);
        CryptographicOperations.ZeroMemory(der);
        return rsa;
    }

    private static byte[] Build(bool sshWire)
    {
        using var runner = FixtureRunnerPublicKey();
        using var client = FixtureClientKey();
        return RequestBuilder.BuildStudioMl(runner, client, File.ReadAllBytes(Fixture("request-1.json")), new StudioMlOptions { SshWireSignature = sshWire });
    }

    /// <summary>Member names in document order with their JSON kinds, recursively: the shape, not the values.</summary>
    private static List<string> Shape(JsonElement element, string path = "")
    {
        var shape = new List<string>();
        foreach (var member in element.EnumerateObject())
        {
            shape.Add(path + member.Name + ":" + member.Value.ValueKind);
            if (member.Value.ValueKind == JsonValueKind.Object)
            {
                shape.AddRange(Shape(member.Value, path + member.Name + "."));
            }
        }

        return shape;
    }

    [Theory]
    [InlineData("envelope-1-raw-signature.json", false)]
    [InlineData("envelope-2-ssh-wire-signature.json", true)]
    public void The_message_has_the_fixtures_json_shape_and_member_order(string fixture, bool sshWire)
    {
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Fixture(fixture)));
        using var built = JsonDocument.Parse(Build(sshWire));

        Assert.Equal(Shape(expected.RootElement), Shape(built.RootElement));
        // time_added is a float as Python writes it, even when whole.
        using var runner = FixtureRunnerPublicKey();
        using var client = FixtureClientKey();
        using var whole = JsonDocument.Parse(RequestBuilder.BuildStudioMl(runner, client, "{}"u8, new StudioMlOptions { TimeAdded = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000) }));
        Assert.Equal("1800000000.0", whole.RootElement.GetProperty("message").GetProperty("time_added").GetRawText());
    }

    [Theory]
    [InlineData(false, 64)]
    [InlineData(true, OpenSsh.WireSignatureSize)]
    public void The_signature_verifies_over_p_and_f_is_the_fixture_keys_fingerprint(bool sshWire, int signatureBytes)
    {
        using var client = FixtureClientKey();
        using var built = JsonDocument.Parse(Build(sshWire));
        var message = built.RootElement.GetProperty("message");
        var payload = message.GetProperty("payload").GetString()!;
        var signature = message.GetProperty("signature").GetString()!;

        Assert.True(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload, signature));
        Assert.Equal(signatureBytes, Convert.FromBase64String(signature).Length);
        Assert.False(StudioMlPayload.VerifyPayloadSignature(client.PublicKey, payload.Replace(',', ';'), signature));
        // F is what ssh-keygen printed for the fixture key, the same F the fixture envelopes carry.
        using var fixture = JsonDocument.Parse(File.ReadAllBytes(Fixture("envelope-1-raw-signature.json")));
        Assert.Equal(fixture.RootElement.GetProperty("message").GetProperty("fingerprint").GetString(), message.GetProperty("fingerprint").GetString());
        Assert.Single(payload, c => c == ',');
    }

    [Fact]
    public void The_payload_opens_with_the_fixture_runners_private_key()
    {
        using var built = JsonDocument.Parse(Build(sshWire: false));
        var payload = built.RootElement.GetProperty("message").GetProperty("payload").GetString()!;
        using var runner = FixtureRunnerPrivateKey();

        var parts = StudioMlPayload.Parse(payload);
        Assert.Equal(512, parts.WrappedKey.Length);
        var key = StudioMlPayload.UnwrapKey(runner, parts.WrappedKey);
        Assert.Equal(File.ReadAllBytes(Fixture("request-1.json")), StudioMlPayload.OpenBox(key, parts.Box));
    }

    [Fact]
    public void The_fixture_envelope_opens_with_the_same_key_so_the_key_reading_is_right()
    {
        // Guards the test above: the key read here is the one the fixture was sealed to.
        using var fixture = JsonDocument.Parse(File.ReadAllBytes(Fixture("envelope-1-raw-signature.json")));
        var parts = StudioMlPayload.Parse(fixture.RootElement.GetProperty("message").GetProperty("payload").GetString()!);
        using var runner = FixtureRunnerPrivateKey();

        // The fixture sealed the compact form of request-1.json (the file is pretty-printed).
        var opened = JsonNode.Parse(StudioMlPayload.OpenBox(StudioMlPayload.UnwrapKey(runner, parts.WrappedKey), parts.Box));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllBytes(Fixture("request-1.json"))), opened));
    }

    private sealed class Password(char[] value) : IPasswordFinder
    {
        public char[] GetPassword() => (char[])value.Clone();
    }
}
