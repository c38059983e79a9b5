using ProtoServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Edge.Routing;
using Strongroom.Hosting;
using Strongroom.Pki;
using Strongroom.Runner.V1;
using Strongroom.Storage.V1;
using RunnerApi = Strongroom.Runner.V1.Runner;
using StorageApi = Strongroom.Storage.V1.Storage;
using Strongroom.Testing;

namespace Strongroom.Edge.Tests.Support;

/// <summary>
/// A backend built on the hosting library like every real service, on real Kestrel at 127.0.0.1
/// with a certificate of <see cref="Identity"/>: it serves storage's and the runner's public and
/// admin services, believes the relayed identity only as the hosting library allows, and records
/// everything that arrives.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, WorkloadIdentity identity, int publicPort, BackendRecorder recorder)
    {
        _app = app;
        Identity = identity;
        PublicAddress = $"https://127.0.0.1:{publicPort}";
        Recorder = recorder;
    }

    public WorkloadIdentity Identity { get; }

    public string PublicAddress { get; }

    public BackendRecorder Recorder { get; }

    public static async Task<TestBackend> StartAsync(TestPki pki, WorkloadIdentity identity)
    {
        var certificate = pki.Issue(identity);
        var publicPort = Ports.Free();
        var settings = new Dictionary<string, string?>
        {
            ["Strongroom:Identity"] = identity.Path,
            ["Strongroom:Tls:CaFile"] = pki.CaFile,
            ["Strongroom:Tls:CertFile"] = certificate.Certificate,
            ["Strongroom:Tls:KeyFile"] = certificate.Key,
            ["Strongroom:Tls:ReloadInterval"] = "00:00:00",
            ["Strongroom:Listeners:Public"] = $"127.0.0.1:{publicPort}",
            ["Strongroom:Listeners:Admin"] = $"127.0.0.1:{Ports.Free()}",
            ["Strongroom:Audit:Path"] = Path.Combine(pki.Root, "audit", identity.Path.Replace('/', '-') + "-" + Guid.NewGuid().ToString("N") + ".log"),
        };
        foreach (var (service, admin) in new[]
                 {
                     (StorageApi.Descriptor, false), (StorageAdmin.Descriptor, true),
                     (RunnerApi.Descriptor, false), (RunnerAdmin.Descriptor, true),
                 })
        {
            AddPolicy(settings, service, admin);
        }

        var recorder = new BackendRecorder();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddStrongroomHosting();
        builder.Services.AddSingleton(recorder);
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // Recorded on arrival, before the hosting library authorizes: "never received" means never.
            var reserved = context.Request.Headers
                .Where(h => h.Key.StartsWith("x-strongroom-", StringComparison.OrdinalIgnoreCase))
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? "")))
                .ToList();
            recorder.Requests.Enqueue(new ArrivedRequest(context.Request.Path.Value ?? "", reserved,
                context.Connection.ClientCertificate?.SerialNumber ?? ""));
            await next(context);
        });
        app.MapStrongroomDefaults();
        app.MapGrpcService<FakeStorage>();
        app.MapGrpcService<FakeStorageAdmin>();
        app.MapGrpcService<FakeRunner>();
        app.MapGrpcService<FakeRunnerAdmin>();
        await app.StartAsync();
        return new TestBackend(app, identity, publicPort, recorder);
    }

    /// <summary>Open rows for public methods (client-facing where the contracts say so), operator-only rows for admin ones.</summary>
    private static void AddPolicy(Dictionary<string, string?> settings, ProtoServiceDescriptor service, bool admin)
    {
        foreach (var method in service.Methods)
        {
            var path = $"/{service.FullName}/{method.Name}";
            var row = $"Strongroom:Policy:{path}";
            settings[row + ":Allow:0"] = admin ? "operator/*" : "*";
            settings[row + ":Admin"] = admin ? "true" : "false";
            settings[row + ":ClientFacing"] = ClientFacingMethods.All.ContainsKey(path) ? "true" : "false";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
