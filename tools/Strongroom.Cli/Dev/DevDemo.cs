using System.Text;
using System.Text.Json;
using Grpc.Core;
using Strongroom.Cli.Operator;
using Strongroom.Crypto;
using Strongroom.KeyService.V1;
using SignerApi = Strongroom.Signer.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Cli.Dev;

/// <summary>What `dev up` shows once the stack is healthy: the first key, created by the operator, fetched by a client through the edge.</summary>
public static class DevDemo
{
    public const string RequestKey = "requests";

    public static async Task RunAsync(DevLayout layout, TextWriter output, CancellationToken cancellationToken)
    {
        using var asOperator = new Connections(layout.Pki, "operator/admin");
        var admin = new KeyServiceAdmin.KeyServiceAdminClient(asOperator.To(ServiceSpec.KeyService.AdminAddress(layout), "keyservice"));
        try
        {
            var existing = await admin.GetKeyAsync(new GetKeyRequest { KeyName = RequestKey }, cancellationToken: cancellationToken);
            output.WriteLine($"==> key '{RequestKey}' exists (primary version {existing.Key.PrimaryVersion})");
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            var created = await admin.CreateKeyAsync(new CreateKeyRequest { KeyName = RequestKey, Kind = KeyKind.X25519 }, cancellationToken: cancellationToken);
            output.WriteLine($"==> operator/admin created X25519 key '{RequestKey}' on the keyservice admin listener; version 1 wrapped by {created.Key.Versions[0].KmsCryptoKeyVersion}");
        }

        using var asClient = new Connections(layout.Pki, "client/demo");
        var throughEdge = new KeyService.V1.KeyService.KeyServiceClient(asClient.To(layout.EdgeAddress, "edge"));
        var publicKey = (await throughEdge.GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = RequestKey }, cancellationToken: cancellationToken)).PublicKey;
        output.WriteLine($"==> client/demo fetched the public key through the edge ({layout.EdgeAddress}): version {publicKey.Version}, kid {publicKey.Kid}");
        output.WriteLine(publicKey.JwkJson);
        await SignStoreAndVerifyAsync(layout, output, cancellationToken);

        output.WriteLine("==> operator/admin anchors every running service's audit-log head in the key log");
        var anchored = await Commands.AuditCommands.AnchorAsync(layout.Pki, "operator/admin", ServiceSpec.Storage.AdminAddress(layout), new PrefixWriter(output, "    "), TextWriter.Null, cancellationToken, layout.PortOffset);
        if (anchored != ExitCodes.Ok)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "anchoring the audit heads failed"));
        }
    }

    /// <summary>
    /// Signs a sample result as the runner would (the CLI presents the dev runner certificate; the
    /// runner service itself arrives with the runner issue), stores it, and has client/demo fetch
    /// it through the edge and verify it against the JWKS.
    /// </summary>
    private static async Task SignStoreAndVerifyAsync(DevLayout layout, TextWriter output, CancellationToken cancellationToken)
    {
        using var asRunner = new Connections(layout.Pki, "runner");
        var jobId = "demo-" + Guid.NewGuid().ToString("N")[..12];
        var document = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["job_id"] = jobId,
            ["job"] = "score",
            ["exit_status"] = 0,
            ["output_sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("accuracy=0.93\n"u8)),
            ["finished_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        });
        var signer = new SignerApi.Signer.SignerClient(asRunner.To(ServiceSpec.Signer.PublicAddress(layout), "signer"));
        var signed = await signer.SignAsync(new SignerApi.SignRequest { Payload = Google.Protobuf.ByteString.CopyFrom(document) }, cancellationToken: cancellationToken);
        output.WriteLine($"==> runner identity: signer signed result {jobId} with kid {signed.Kid}; protected header {signed.ProtectedHeaderJson}");

        var storage = new StorageApi.Storage.StorageClient(asRunner.To(ServiceSpec.Storage.PublicAddress(layout), "storage"));
        var put = new StorageApi.PutResultRequest { JobId = jobId, OwnerIdentity = "spiffe://strongroom/client/demo", SignedResult = signed.Jws, Output = Google.Protobuf.ByteString.CopyFrom("accuracy=0.93\n"u8) };
        // The signer publishes its key to storage's log asynchronously (a durable outbox); wait for it.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await storage.PutResultAsync(put, cancellationToken: cancellationToken);
                break;
            }
            catch (RpcException ex) when (attempt < 60 && ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.Unavailable)
            {
                await Task.Delay(500, cancellationToken);
            }
        }

        output.WriteLine($"==> storage stored result {jobId} for client/demo (durable before the reply)");

        using var asClient = new Connections(layout.Pki, "client/demo");
        var throughEdge = new StorageApi.Storage.StorageClient(asClient.To(layout.EdgeAddress, "edge"));
        var result = (await throughEdge.GetResultAsync(new StorageApi.GetResultRequest { JobId = jobId }, cancellationToken: cancellationToken)).Result;
        var jwks = (await throughEdge.GetJwksAsync(new StorageApi.GetJwksRequest(), cancellationToken: cancellationToken)).JwksJson;
        var keys = new Dictionary<string, Ed25519PublicKey>(StringComparer.Ordinal);
        using (var set = JsonDocument.Parse(jwks))
        {
            foreach (var k in set.RootElement.GetProperty("keys").EnumerateArray())
            {
                using var jwk = JsonWebKey.Parse(k.GetRawText());
                if (jwk.Kid is { } kid && jwk.Crv == "Ed25519")
                {
                    keys[kid] = jwk.ToEd25519PublicKey();
                }
            }
        }

        var verified = Jws.VerifyCompact(result.SignedResult, kid => kid is not null && keys.TryGetValue(kid, out var key) ? key : null);
        if (!verified.IsValid)
        {
            throw new RpcException(new Status(StatusCode.DataLoss, "the stored result did not verify: " + verified.Status));
        }

        output.WriteLine($"==> client/demo fetched result {jobId} through the edge and verified its JWS against the JWKS ({keys.Count} key(s)): {verified.Status}");
        output.WriteLine("    " + Encoding.UTF8.GetString(verified.Payload!));
        output.WriteLine($"    stock verifiers: curl --cacert {Path.Combine(layout.Pki, "ca.crt")} https://localhost:{layout.Port(ServiceSpec.StorageJwksDevPort)}/.well-known/jwks.json");
    }
}
