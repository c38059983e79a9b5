using Google.Cloud.Kms.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Hosting;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Extensions;
using Strongroom.KmsClient;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Kms.Tests.Support;

/// <summary>
/// The kms exactly as Program.cs composes it, on real Kestrel bound to 127.0.0.1 with real mTLS
/// certificates from a <see cref="TestPki"/>, its policy table read from services/kms/appsettings.json.
/// </summary>
public sealed class KmsServer : IAsyncDisposable
{
    public const string KeyServiceRing = "projects/strongroom/locations/local/keyRings/keyservice";
    public const string SignerRing = "projects/strongroom/locations/local/keyRings/signer";

    private readonly TestPki _pki;
    private readonly Dictionary<string, CertPaths> _certificates = new(StringComparer.Ordinal);

    private KmsServer(TestPki pki, WebApplication app, int publicPort, int adminPort, string auditPath, CapturingLoggerProvider logs)
    {
        _pki = pki;
        App = app;
        PublicAddress = $"https://127.0.0.1:{publicPort}";
        AdminAddress = $"https://127.0.0.1:{adminPort}";
        AuditPath = auditPath;
        Logs = logs;
    }

    public WebApplication App { get; }

    public string PublicAddress { get; }

    public string AdminAddress { get; }

    public string AuditPath { get; }

    public CapturingLoggerProvider Logs { get; }

    public PlaintextSizeRecorder PlaintextSizes => App.Services.GetRequiredService<PlaintextSizeRecorder>();

    public KeyManager Keys => App.Services.GetRequiredService<KeyManager>();

    public static async Task<KmsServer> StartAsync(TestPki pki, string storePath, string passphraseFile, IDictionary<string, string?>? extra = null)
    {
        var app = Build(pki, storePath, passphraseFile, extra, out var publicPort, out var adminPort, out var auditPath, out var logs);
        await app.StartAsync();
        return new KmsServer(pki, app, publicPort, adminPort, auditPath, logs);
    }

    /// <summary>Composes the app as Program.cs does; throws what Program.cs would catch.</summary>
    public static WebApplication Build(TestPki pki, string storePath, string passphraseFile, IDictionary<string, string?>? extra,
        out int publicPort, out int adminPort, out string auditPath, out CapturingLoggerProvider logs)
    {
        var certificate = pki.Issue(WorkloadIdentity.Kms);
        publicPort = Ports.Free();
        adminPort = Ports.Free();
        auditPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(storePath))!, "audit-" + Guid.NewGuid().ToString("N") + ".log");
        var settings = new Dictionary<string, string?>
        {
            ["Strongroom:Tls:CaFile"] = pki.CaFile,
            ["Strongroom:Tls:CertFile"] = certificate.Certificate,
            ["Strongroom:Tls:KeyFile"] = certificate.Key,
            ["Strongroom:Tls:ReloadInterval"] = "00:00:00",
            ["Strongroom:Listeners:Public"] = $"127.0.0.1:{publicPort}",
            ["Strongroom:Listeners:Admin"] = $"127.0.0.1:{adminPort}",
            ["Strongroom:Audit:Path"] = auditPath,
            ["Kms:StorePath"] = storePath,
            ["Kms:PassphraseFile"] = passphraseFile,
            ["Kms:CreateStoreIfMissing"] = "true",
            ["Kms:AllowZeroDestroyGrace"] = "true",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath() });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddJsonFile(Path.Combine(RepoPaths.Root, "services", "kms", "appsettings.json"), optional: false);
        builder.Configuration.AddInMemoryCollection(settings);
        logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.AddStrongroomHosting();
        builder.AddKms();
        var app = builder.Build();
        app.MapStrongroomDefaults();
        app.MapKms();
        return app;
    }

    /// <summary>The client keyservice and signer use, as <paramref name="identity"/>, on the admin listener.</summary>
    public KekClient Client(WorkloadIdentity identity, string keyRing, Interceptor? interceptor = null, int maxAttempts = 3)
    {
        var options = new KmsClientOptions
        {
            Mode = KmsMode.Local,
            Address = AdminAddress,
            KeyRing = keyRing,
            Deadline = TimeSpan.FromSeconds(10),
            MaxAttempts = maxAttempts,
            RetryBackoff = TimeSpan.FromMilliseconds(10),
        };
        if (interceptor is null)
        {
            return KekClient.CreateLocal(options, Certificate(identity), Validator());
        }

        return new KekClient(Invoker(identity, AdminAddress).Intercept(interceptor), options);
    }

    /// <summary>The generated Cloud KMS client as <paramref name="identity"/>, for raw requests.</summary>
    public KeyManagementService.KeyManagementServiceClient Raw(WorkloadIdentity identity, bool adminListener = true) =>
        new(Invoker(identity, adminListener ? AdminAddress : PublicAddress));

    public string AuditText()
    {
        using var stream = new FileStream(AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private CallInvoker Invoker(WorkloadIdentity identity, string address) =>
        MtlsChannelFactory.Create(
            new DownstreamOptions { Address = address, Identity = "kms", Deadline = TimeSpan.FromSeconds(10) },
            Certificate(identity),
            Validator());

    private ReloadingCertificate Certificate(WorkloadIdentity identity)
    {
        CertPaths paths;
        lock (_certificates)
        {
            if (!_certificates.TryGetValue(identity.Path, out paths!))
            {
                paths = _pki.Issue(identity);
                _certificates[identity.Path] = paths;
            }
        }

        return new ReloadingCertificate(paths.Certificate, paths.Key, TimeSpan.Zero);
    }

    private PeerCertificateValidator Validator() => new(new TrustAnchor(_pki.CaFile, TimeSpan.Zero), EmptyDenyList.Instance);
}
