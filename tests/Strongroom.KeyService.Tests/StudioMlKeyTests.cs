using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.KeyAdmin.V1;
using Strongroom.KeyService.Tests.Support;
using Strongroom.KeyService.V1;
using Strongroom.Operator;
using Strongroom.Pki;
using Strongroom.Testing;
using KeyKind = Strongroom.KeyAdmin.V1.KeyKind;

namespace Strongroom.KeyService.Tests;

/// <summary>The StudioML runner key imported by the operator CLI, and unwrapping without a decryption oracle.</summary>
public sealed class StudioMlKeyTests(CheckedKeyServiceStack fixture) : IClassFixture<CheckedKeyServiceStack>, IAsyncLifetime
{
    private const string KeyName = "studioml";

    private static string Fixture(string name) => RepoPaths.TestData("fixtures", "studioml", name);

    private static string PayloadOf(string envelope) =>
        JsonDocument.Parse(File.ReadAllText(Fixture(envelope))).RootElement.GetProperty("message").GetProperty("payload").GetString()!;

    private static char[] Passphrase() => File.ReadAllText(Fixture("secret_phrase")).TrimEnd('\r', '\n').ToCharArray();

    public async ValueTask InitializeAsync()
    {
        try
        {
            await Stack.Admin().GetKeyAsync(new GetKeyRequest { KeyName = KeyName });
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            await StudioMlImport.RunAsync(Stack.AdminInvoker(), KeyName, await File.ReadAllTextAsync(Fixture("studioml_message.pem")), Passphrase(), default);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private KeyServiceStack Stack => fixture.Stack;

    /// <summary>Unwraps <paramref name="payload"/> as the fixture client signed it (signed here when it is not a fixture envelope's).</summary>
    private Task<UnwrapMessageKeyResponse> Unwrap(string payload) =>
        Stack.Public(WorkloadIdentity.Runner).UnwrapMessageKeyAsync(new UnwrapMessageKeyRequest
        {
            KeyName = KeyName,
            Payload = payload,
            Fingerprint = OpenSsh.Fingerprint(fixture.DemoSigning.PublicKey),
            Signature = StudioMlPayload.SignPayload(fixture.DemoSigning, payload),
            ClientIdentity = CheckedKeyServiceStack.DemoIdentity,
        }).ResponseAsync;

    [Theory]
    [InlineData("envelope-1-raw-signature.json", "request-1.json")]
    [InlineData("envelope-2-ssh-wire-signature.json", "request-2.json")]
    public async Task The_imported_fixture_key_opens_the_fixture_envelopes(string envelope, string request)
    {
        var payload = PayloadOf(envelope);
        var message = JsonDocument.Parse(File.ReadAllText(Fixture(envelope))).RootElement.GetProperty("message");

        // The fixture's own F and S (raw, then SSH wire form), exactly as the client sent them.
        var answer = await Stack.Public(WorkloadIdentity.Runner).UnwrapMessageKeyAsync(new UnwrapMessageKeyRequest
        {
            KeyName = KeyName,
            Payload = payload,
            Fingerprint = message.GetProperty("fingerprint").GetString(),
            Signature = message.GetProperty("signature").GetString(),
            ClientIdentity = CheckedKeyServiceStack.DemoIdentity,
        });
        var key = answer.MessageKey.ToByteArray();
        Assert.Equal(CheckedKeyServiceStack.DemoIdentity, answer.OwnerIdentity);

        var opened = StudioMlPayload.OpenBox(key, StudioMlPayload.Parse(payload).Box);
        using var expected = JsonDocument.Parse(File.ReadAllText(Fixture(request)));
        Assert.Equal(JsonSerializer.Serialize(expected.RootElement), Encoding.UTF8.GetString(opened));
    }

    [Fact]
    public async Task The_imported_public_key_is_the_fixture_public_key_in_every_format()
    {
        var publicKey = (await Stack.Public(WorkloadIdentity.Client("demo")).GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = KeyName })).PublicKey;

        using var fixture = RSA.Create();
        fixture.ImportFromPem(File.ReadAllText(Fixture("studioml_message.pub.pem")));
        Assert.Equal(fixture.ExportRSAPublicKeyPem(), publicKey.Pkcs1Pem);
        Assert.Equal(fixture.ExportSubjectPublicKeyInfoPem(), publicKey.SpkiPem);
        var sshLine = File.ReadAllText(Fixture("studioml_message.pub")).Split(' ');
        Assert.Equal(sshLine[0] + " " + sshLine[1], publicKey.OpensshPublicKey);
        using var jwk = JsonWebKey.Parse(publicKey.JwkJson);
        Assert.Equal(jwk.Thumbprint(), publicKey.Kid);
        Assert.True(publicKey.Primary);
    }

    [Fact]
    public async Task Every_failure_after_the_rsa_operation_returns_32_bytes_and_no_error()
    {
        var payload = PayloadOf("envelope-1-raw-signature.json");
        var parts = StudioMlPayload.Parse(payload);
        var realKey = (await Unwrap(payload)).MessageKey.ToByteArray();

        // OAEP fails: random bytes where the wrapped key was.
        var randomK = Convert.ToBase64String(RandomNumberGenerator.GetBytes(512)) + "," + Convert.ToBase64String(parts.Box);
        // OAEP succeeds under another key: a valid envelope for a stranger's RSA key.
        using var stranger = RSA.Create(4096);
        var foreign = StudioMlPayload.Seal(stranger, "{}"u8);
        // OAEP succeeds, the box was tampered with.
        var box = (byte[])parts.Box.Clone();
        box[^1] ^= 1;
        var tampered = payload.Split(',')[0] + "," + Convert.ToBase64String(box);

        foreach (var bad in new[] { randomK, foreign, tampered })
        {
            var answer = await Unwrap(bad);
            Assert.Equal(32, answer.MessageKey.Length);
            Assert.False(StudioMlPayload.TryOpenBox(answer.MessageKey.Span, StudioMlPayload.Parse(bad).Box, out _));
        }

        // The tampered box's answer is not the real key: nothing says OAEP succeeded.
        Assert.NotEqual(realKey, (await Unwrap(tampered)).MessageKey.ToByteArray());
    }

    [Theory]
    [InlineData("only-one-field")]
    [InlineData("a,b,c")]
    [InlineData("not base64!,AAAA")]
    [InlineData("AAAA,AAAA")]
    public async Task Malformed_payloads_are_refused_before_any_rsa_operation(string payload)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Unwrap(payload));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("invalid payload", ex.Status.Detail);
    }

    [Fact]
    public async Task A_truncated_box_is_refused_before_any_rsa_operation()
    {
        var parts = StudioMlPayload.Parse(PayloadOf("envelope-1-raw-signature.json"));
        var truncated = Convert.ToBase64String(parts.WrappedKey) + "," + Convert.ToBase64String(parts.Box[..39]);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Unwrap(truncated));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task Unwrapping_with_an_x25519_key_is_refused_as_the_wrong_key_type()
    {
        await Stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "not-rsa", Kind = KeyKind.X25519 });

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Stack.Public(WorkloadIdentity.Runner).UnwrapMessageKeyAsync(new UnwrapMessageKeyRequest
            {
                KeyName = "not-rsa",
                Payload = PayloadOf("envelope-1-raw-signature.json"),
                Fingerprint = OpenSsh.Fingerprint(fixture.DemoSigning.PublicKey),
                Signature = StudioMlPayload.SignPayload(fixture.DemoSigning, PayloadOf("envelope-1-raw-signature.json")),
                ClientIdentity = CheckedKeyServiceStack.DemoIdentity,
            }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task Importing_an_rsa_pem_into_an_x25519_key_is_refused()
    {
        await Stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "x-import", Kind = KeyKind.X25519, SkipInitialVersion = true });

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            StudioMlImport.RunAsync(Stack.AdminInvoker(), "x-import", File.ReadAllText(Fixture("studioml_message.pem")), Passphrase(), default));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public void A_wrong_passphrase_or_malformed_pem_fails_on_the_operator_machine_without_echoing_secrets()
    {
        var pem = File.ReadAllText(Fixture("studioml_message.pem"));

        var wrong = Assert.Throws<CryptographicException>(() => LegacyPem.ReadRsaPrivateKeyPkcs8(pem, "not the passphrase".ToCharArray()));
        var garbage = Assert.Throws<CryptographicException>(() => LegacyPem.ReadRsaPrivateKeyPkcs8("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", Passphrase()));

        Assert.DoesNotContain("not the passphrase", wrong.Message);
        Assert.Contains("cannot decrypt the PEM", wrong.Message);
        Assert.DoesNotContain(new string(Passphrase()), garbage.Message);
    }

    [Fact]
    public async Task An_import_sealed_for_another_key_name_does_not_open()
    {
        var admin = Stack.Admin();
        await admin.CreateKeyAsync(new CreateKeyRequest { KeyName = "victim", Kind = KeyKind.X25519, SkipInitialVersion = true });
        var importKey = await Stack.Import().GetImportKeyAsync(new GetImportKeyRequest());
        var sealedKey = Hpke.Seal(X25519PublicKey.Import(importKey.PublicKey.Span), "strongroom/import/v1"u8, "someone-else"u8, RandomNumberGenerator.GetBytes(32));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Stack.Import().ImportKeyAsync(new ImportKeyRequest
        {
            KeyName = "victim", Format = ImportFormat.RawX25519, ImportKid = importKey.Kid, SetPrimary = true,
            Enc = Google.Protobuf.ByteString.CopyFrom(sealedKey.EncapsulatedKey), Ciphertext = Google.Protobuf.ByteString.CopyFrom(sealedKey.Ciphertext),
        }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }
}
