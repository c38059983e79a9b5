using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Crypto;
using Strongroom.Hosting;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Domain;
using Strongroom.Storage.Extensions;
using Strongroom.Testing;

namespace Strongroom.Storage.Tests.Support;

/// <summary>
/// The real storage service as its Program.cs composes it (SQLite backend, real Kestrel, real mTLS
/// from the caller's test CA, its own appsettings.json policy table); only checkpoint signing is
/// <see cref="TestCheckpointSigner"/> instead of a running signer. The one in-process storage host
/// the keyservice and client suites start (linked into them, as TestCheckpointSigner is).
/// </summary>
public sealed class StorageHost : IAsyncDisposable
{
    private const string Deployment = "test";

    private StorageHost(WebApplication app, TestCheckpointSigner signer, Ed25519KeyPair operatorKey, int publicPort, int adminPort, string databasePath)
    {
        PublicAddress = $"https://127.0.0.1:{publicPort}";
        AdminAddress = $"https://127.0.0.1:{adminPort}";
        DatabasePath = databasePath;
        App = app;
        Signer = signer;
        OperatorKey = operatorKey;
    }

    /// <summary>The pinned operator key (Storage:OperatorKeys) client registrations are signed with.</summary>
    public Ed25519KeyPair OperatorKey { get; }

    public string PublicAddress { get; }

    /// <summary>Storage's admin listener (RevokeClientKey).</summary>
    public string AdminAddress { get; }

    /// <summary>The SQLite file, for tests that change it behind storage's back.</summary>
    public string DatabasePath { get; }

    /// <summary>A registration JWS for <paramref name="payload"/>, signed by <see cref="OperatorKey"/>.</summary>
    public string OperatorJws(JsonObject payload, string typ = ClientRegistry.RegistrationType)
    {
        ArgumentNullException.ThrowIfNull(payload);
        using var jwk = JsonWebKey.FromPublicKey(OperatorKey.PublicKey);
        return Jws.SignCompact(OperatorKey, jwk.Thumbprint(), Encoding.UTF8.GetBytes(payload.ToJsonString()), new JsonObject { ["typ"] = typ });
    }

    public WebApplication App { get; }

    public TestCheckpointSigner Signer { get; }

    public static async Task<StorageHost> StartAsync(TestPki pki, int publicPort)
    {
        var signer = new TestCheckpointSigner(Checkpoint.OriginFor(Deployment));
        var operatorKey = Ed25519KeyPair.Generate();
        using var operatorJwk = JsonWebKey.FromPublicKey(operatorKey.PublicKey);
        var adminPort = Ports.Free();
        var databasePath = Path.Combine(pki.Root, "storage", "storage.db");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Deployment"] = Deployment,
            ["Storage:Backend"] = "Sqlite",
            ["Storage:SqlitePath"] = databasePath,
            ["Storage:ReadOnlyListener"] = $"127.0.0.1:{Ports.Free()}",
            ["Storage:LogVerifierKey"] = signer.Verifier.ToString(),
            ["Storage:OperatorKeys:0"] = operatorJwk.ToJson(),
        };
        var app = InProcessServices.Build(pki, "storage", WorkloadIdentity.Storage, publicPort, adminPort, settings,
            b =>
            {
                b.Services.AddSingleton<ICheckpointSigner>(signer);
                b.AddStorage();
            },
            a => a.MapStorage());
        await app.StartAsync();
        return new StorageHost(app, signer, operatorKey, publicPort, adminPort, databasePath);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Signer.Dispose();
        OperatorKey.Dispose();
    }
}
