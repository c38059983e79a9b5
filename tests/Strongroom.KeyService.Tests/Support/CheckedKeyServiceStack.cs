using System.Text.Json.Nodes;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.Pki;
using Strongroom.Storage.Tests.Support;
using Strongroom.Testing;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.KeyService.Tests.Support;

/// <summary>
/// kms + keyservice + the real storage whose key log keyservice checks every request against, with
/// registered clients: the StudioML fixture client (client/demo, tests/testdata/fixtures/studioml/
/// client_signing) and HPKE test clients (client/hpke, client/other) with fresh keys.
/// </summary>
public sealed class CheckedKeyServiceStack : IAsyncLifetime
{
    public const string DemoIdentity = "spiffe://strongroom/client/demo";
    public const string HpkeIdentity = "spiffe://strongroom/client/hpke";
    public const string OtherIdentity = "spiffe://strongroom/client/other";

    private readonly int _storagePort = Ports.Free();

    public CheckedKeyServiceStack() => Stack = new KeyServiceStack(_storagePort);

    public KeyServiceStack Stack { get; }

    public StorageHost Storage { get; private set; } = null!;

    /// <summary>The StudioML fixture client's signing key.</summary>
    public Ed25519KeyPair DemoSigning { get; } =
        OpenSsh.ParsePrivateKey(File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "client_signing")));

    public Ed25519KeyPair HpkeSigning { get; } = Ed25519KeyPair.Generate();

    public Ed25519KeyPair OtherSigning { get; } = Ed25519KeyPair.Generate();

    public string HpkeSigningKid { get; private set; } = "";

    public string OtherSigningKid { get; private set; } = "";

    public StorageApi.Storage.StorageClient StorageClient =>
        new(Stack.Invoker(WorkloadIdentity.Operator("admin"), $"https://127.0.0.1:{_storagePort}", "storage"));

    public async ValueTask InitializeAsync()
    {
        await Stack.InitializeAsync();
        Storage = await StorageHost.StartAsync(Stack.Pki, _storagePort);
        var fixtureKey = OpenSsh.ParseAuthorizedKey(File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "client_signing.pub")).Trim()).Key;
        await RegisterAsync("client/demo", OpenSsh.FormatAuthorizedKey(fixtureKey, "experimenter@example"));
        HpkeSigningKid = await RegisterAsync("client/hpke", OpenSsh.FormatAuthorizedKey(HpkeSigning.PublicKey));
        OtherSigningKid = await RegisterAsync("client/other", OpenSsh.FormatAuthorizedKey(OtherSigning.PublicKey));
    }

    /// <summary>Registers a client with an operator-signed JWS and waits until LookupKey serves its signing key.</summary>
    public async Task<string> RegisterAsync(string identity, string signingKey)
    {
        using var sealing = X25519KeyPair.Generate();
        var registration = new JsonObject
        {
            ["identity"] = identity,
            ["signing_key"] = signingKey,
            ["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(sealing.PublicKey).ToJson()),
        };
        var client = StorageClient;
        var response = await client.RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = Storage.OperatorJws(registration) });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await client.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = response.SigningKid });
                return response.SigningKid;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Revokes a client's signing key (operator-signed) and waits until LookupKey serves the revocation.</summary>
    public async Task RevokeAsync(string identity, string signingKid)
    {
        var admin = new StorageApi.StorageAdmin.StorageAdminClient(Stack.Invoker(WorkloadIdentity.Operator("admin"), Storage.AdminAddress, "storage"));
        var payload = new JsonObject { ["identity"] = identity, ["kids"] = new JsonArray(signingKid) };
        await admin.RevokeClientKeyAsync(new StorageApi.RevokeClientKeyRequest { RevocationJws = Storage.OperatorJws(payload, Strongroom.Storage.Domain.ClientRegistry.RevocationType) });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await StorageClient.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = signingKid })).Entries.All(e => e.Type != StorageApi.EntryType.ClientRevocation))
        {
            Assert.True(DateTime.UtcNow < deadline, "the revocation never reached LookupKey");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Storage.DisposeAsync();
        await Stack.DisposeAsync();
        DemoSigning.Dispose();
        HpkeSigning.Dispose();
        OtherSigning.Dispose();
    }
}
