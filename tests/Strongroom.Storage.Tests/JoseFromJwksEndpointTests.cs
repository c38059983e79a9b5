using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Strongroom.Crypto;
using Strongroom.Pki;
using Strongroom.Storage.V1;
using Strongroom.Testing;
using SignerApi = Strongroom.Signer.V1;

namespace Strongroom.Storage.Tests;

/// <summary>
/// A JOSE implementation no one here wrote (the `jose` npm package, createRemoteJWKSet +
/// compactVerify) verifies the real signer's JWS with keys it fetches itself from storage's
/// read-only HTTPS endpoint — no client certificate, trusting only the deployment CA. Any changed
/// byte of header, payload or signature fails; a revoked key's signatures fail.
/// </summary>
public sealed class JoseFromJwksEndpointTests(RealSignerStack stack) : IClassFixture<RealSignerStack>
{
    private const string Script = """
        import { createRemoteJWKSet, compactVerify } from 'jose';
        const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URL));
        try {
          const r = await compactVerify(process.env.JWS, jwks, { algorithms: ['EdDSA'] });
          console.log(JSON.stringify({ ok: true, kid: r.protectedHeader.kid, typ: r.protectedHeader.typ, payload: new TextDecoder().decode(r.payload) }));
        } catch (e) {
          console.log(JSON.stringify({ ok: false, error: e.code ?? String(e) }));
        }
        """;

    private static void RequireJose()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "node")));
        Requirements.Require(onPath, "node is not installed");
        Requirements.RequireNodePackage("jose");
    }

    private async Task<JsonNode> JoseVerifyAsync(string jws)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(RepoPaths.Root, "tests", "node"),
        };
        start.ArgumentList.Add("--input-type=module");
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(Script);
        start.Environment["JWKS_URL"] = $"https://127.0.0.1:{stack.StorageReadOnly}/.well-known/jwks.json";
        start.Environment["JWS"] = jws;
        // The stock client trusts the deployment CA and nothing about storage beyond its certificate.
        start.Environment["NODE_EXTRA_CA_CERTS"] = stack.Pki.CaFile;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var text = await stdout;
        Assert.False(string.IsNullOrWhiteSpace(text), "node wrote nothing: " + await stderr);
        return JsonNode.Parse(text)!;
    }

    private static string Flip(string jws, int segment)
    {
        var parts = jws.Split('.');
        var bytes = StrictBase64.DecodeUrl(parts[segment]);
        bytes[bytes.Length / 2] ^= 0x01;
        parts[segment] = StrictBase64.EncodeUrl(bytes);
        return string.Join('.', parts);
    }

    [Fact]
    public async Task Jose_verifies_the_signers_jws_from_the_read_only_jwks_endpoint_and_fails_on_any_changed_byte()
    {
        RequireJose();
        var signer = new SignerApi.Signer.SignerClient(stack.Invoker(WorkloadIdentity.Runner, stack.SignerPublic, "signer"));
        var signed = await signer.SignAsync(new SignerApi.SignRequest { Payload = ByteString.CopyFromUtf8("{\"job_id\":\"jose-1\"}") });
        // The signer's key reaches storage through its outbox; wait until the JWKS has it.
        var storage = new V1.Storage.StorageClient(stack.Invoker(WorkloadIdentity.Client("alice"), stack.StoragePublic, "storage"));
        for (var i = 0; i < 300 && !(await storage.GetJwksAsync(new GetJwksRequest())).JwksJson.Contains(signed.Kid, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }

        var ok = await JoseVerifyAsync(signed.Jws);
        Assert.True(ok["ok"]!.GetValue<bool>(), ok.ToJsonString());
        Assert.Equal(signed.Kid, ok["kid"]!.GetValue<string>());
        Assert.Equal("strongroom-result", ok["typ"]!.GetValue<string>());
        Assert.Equal("{\"job_id\":\"jose-1\"}", ok["payload"]!.GetValue<string>());

        for (var segment = 0; segment < 3; segment++)
        {
            var bad = await JoseVerifyAsync(Flip(signed.Jws, segment));
            Assert.False(bad["ok"]!.GetValue<bool>(), $"segment {segment}: {bad.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Jose_refuses_a_signature_by_a_key_revoked_in_the_log()
    {
        RequireJose();
        using var key = Ed25519KeyPair.Generate();
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        var asSigner = new V1.Storage.StorageClient(stack.Invoker(WorkloadIdentity.Signer, stack.StoragePublic, "storage"));
        await asSigner.PublishKeyAsync(new PublishKeyRequest { Kid = jwk.Thumbprint(), JwkJson = jwk.ToJson(), OwnerIdentity = "signer", Kind = V1.KeyKind.ResultSigning, KeyName = "jose-test", Version = 1 });
        var jws = Jws.SignCompact(key, jwk.Thumbprint(), Encoding.UTF8.GetBytes("{\"job_id\":\"jose-2\"}"), new JsonObject { ["typ"] = "strongroom-result" });
        Assert.True((await JoseVerifyAsync(jws))["ok"]!.GetValue<bool>());

        await asSigner.PublishKeyEventAsync(new PublishKeyEventRequest { Kid = jwk.Thumbprint(), Event = KeyEvent.Revoked });
        Assert.False((await JoseVerifyAsync(jws))["ok"]!.GetValue<bool>());
    }
}
