using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Testing;

namespace Strongroom.Crypto.Tests.Support;

/// <summary>One queue message from tests/testdata/fixtures/studioml.</summary>
internal sealed record StudioMlEnvelope(string Payload, string Fingerprint, string Signature);

/// <summary>The StudioML compatibility fixtures (see their README).</summary>
internal static class StudioMlFixtures
{
    public static string PathOf(string name) => RepoPaths.TestData("fixtures", "studioml", name);

    public static StudioMlEnvelope Envelope(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(PathOf(name)));
        JsonElement message = document.RootElement.GetProperty("message");
        return new StudioMlEnvelope(
            message.GetProperty("payload").GetString()!,
            message.GetProperty("fingerprint").GetString()!,
            message.GetProperty("signature").GetString()!);
    }

    /// <summary>
    /// The exact bytes sealed in the envelope. request-N.json is stored pretty-printed for reading;
    /// the client sealed its compact form (same members, same order, no whitespace), so the test
    /// compares the decrypted bytes with that compact form, byte for byte.
    /// </summary>
    public static byte[] CompactRequest(string name)
    {
        JsonNode request = JsonNode.Parse(File.ReadAllBytes(PathOf(name)))!;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            request.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The runner's public key as clients get it (PKCS#1 "RSA PUBLIC KEY" PEM).</summary>
    public static RSA RunnerPublicKey()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(PathOf("studioml_message.pub.pem")));
        return rsa;
    }

    /// <summary>
    /// The runner's private key. The fixture is legacy OpenSSL-encrypted PEM, which .NET cannot
    /// import, so the openssl CLI decrypts it into a pipe (never a file); test-only key material.
    /// </summary>
    public static RSA RunnerPrivateKey()
    {
        Requirements.Require(ExternalProcess.IsOnPath("openssl"), "openssl is not installed");
        (int exitCode, string pem, string stderr) = ExternalProcess.Run(
            "openssl",
            ["rsa", "-in", PathOf("studioml_message.pem"), "-passin", "file:" + PathOf("secret_phrase")]);
        Assert.True(exitCode == 0, "openssl could not decrypt the fixture key: " + stderr);
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }

    /// <summary>A second RSA-4096 private key (Wycheproof's), standing in for another key version.</summary>
    public static RSA OtherPrivateKey()
    {
        var file = WycheproofFile.Load("rsa_oaep_4096_sha256_mgf1sha256_test.json");
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromHexString(file.Cases[0].Group.GetProperty("privateKeyPkcs8").GetString()!), out _);
        return rsa;
    }
}
