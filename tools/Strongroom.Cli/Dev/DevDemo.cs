using Grpc.Core;
using Strongroom.Cli.Operator;
using Strongroom.KeyService.V1;

namespace Strongroom.Cli.Dev;

/// <summary>What `dev up` shows once the stack is healthy: the first key, created by the operator, fetched by a client through the edge.</summary>
public static class DevDemo
{
    public const string RequestKey = "requests";

    public static async Task RunAsync(DevLayout layout, TextWriter output, CancellationToken cancellationToken)
    {
        using var asOperator = new Connections(layout.Pki, "operator/admin");
        var admin = new KeyServiceAdmin.KeyServiceAdminClient(asOperator.To($"https://127.0.0.1:{ServiceSpec.KeyService.AdminPort}", "keyservice"));
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
        var throughEdge = new KeyService.V1.KeyService.KeyServiceClient(asClient.To($"https://127.0.0.1:{ServiceSpec.Edge.PublicPort}", "edge"));
        var publicKey = (await throughEdge.GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = RequestKey }, cancellationToken: cancellationToken)).PublicKey;
        output.WriteLine($"==> client/demo fetched the public key through the edge (127.0.0.1:{ServiceSpec.Edge.PublicPort}): version {publicKey.Version}, kid {publicKey.Kid}");
        output.WriteLine(publicKey.JwkJson);
    }
}
