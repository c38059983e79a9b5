using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Strongroom.Hosting.Audit;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Hosting.Tests.Support;

/// <summary>The probe service on real Kestrel, bound to 127.0.0.1 with real certificates.</summary>
public sealed class ProbeServer : IAsyncDisposable
{
    public const string Ping = "/strongroom.testing.v1.Probe/Ping";
    public const string AdminPing = "/strongroom.testing.v1.Probe/AdminPing";
    public const string ClientPing = "/strongroom.testing.v1.Probe/ClientPing";
    public const string Fail = "/strongroom.testing.v1.Probe/Fail";

    private ProbeServer(WebApplication app, int publicPort, int adminPort, string auditPath)
    {
        App = app;
        PublicPort = publicPort;
        AdminPort = adminPort;
        AuditPath = auditPath;
    }

    public WebApplication App { get; }

    public int PublicPort { get; }

    public int AdminPort { get; }

    public string AuditPath { get; }

    public static WorkloadIdentity Identity => WorkloadIdentity.Storage;

    /// <summary>The default table: Ping for runner and operators, AdminPing for operators, ClientPing for clients.</summary>
    public static Dictionary<string, string?> DefaultPolicy() => new()
    {
        [$"Strongroom:Policy:{Ping}:Allow:0"] = "runner",
        [$"Strongroom:Policy:{Ping}:Allow:1"] = "operator/*",
        [$"Strongroom:Policy:{AdminPing}:Allow:0"] = "operator/*",
        [$"Strongroom:Policy:{AdminPing}:Admin"] = "true",
        [$"Strongroom:Policy:{ClientPing}:Allow:0"] = "client/*",
        [$"Strongroom:Policy:{ClientPing}:ClientFacing"] = "true",
        [$"Strongroom:Policy:{Fail}:Allow:0"] = "*",
    };

    public static WebApplication Build(TestPki pki, IDictionary<string, string?> policy, IEnumerable<string>? denyList, out int publicPort, out int adminPort, out string auditPath, CertPaths? serverCertificate = null)
    {
        var server = serverCertificate ?? pki.Issue(Identity);
        publicPort = FreePort();
        adminPort = FreePort();
        auditPath = Path.Combine(pki.Root, "audit", Guid.NewGuid().ToString("N") + ".log");
        var settings = new Dictionary<string, string?>
        {
            ["Strongroom:Identity"] = Identity.Path,
            ["Strongroom:Tls:CaFile"] = pki.CaFile,
            ["Strongroom:Tls:CertFile"] = server.Certificate,
            ["Strongroom:Tls:KeyFile"] = server.Key,
            ["Strongroom:Tls:ReloadInterval"] = "00:00:00",
            ["Strongroom:Listeners:Public"] = $"127.0.0.1:{publicPort}",
            ["Strongroom:Listeners:Admin"] = $"127.0.0.1:{adminPort}",
            ["Strongroom:Audit:Path"] = auditPath,
        };
        foreach (var (k, v) in policy)
        {
            settings[k] = v;
        }

        var i = 0;
        foreach (var denied in denyList ?? [])
        {
            settings[$"Strongroom:DenyList:{i++}"] = denied;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddStrongroomHosting();
        var app = builder.Build();
        app.MapStrongroomDefaults();
        app.MapGrpcService<ProbeService>();
        return app;
    }

    public static async Task<ProbeServer> StartAsync(TestPki pki, IDictionary<string, string?>? policy = null, IEnumerable<string>? denyList = null)
    {
        var app = Build(pki, policy ?? DefaultPolicy(), denyList, out var publicPort, out var adminPort, out var auditPath);
        await app.StartAsync();
        return new ProbeServer(app, publicPort, adminPort, auditPath);
    }

    public string PublicAddress => $"https://127.0.0.1:{PublicPort}";

    public string AdminAddress => $"https://127.0.0.1:{AdminPort}";

    /// <summary>The audit trail's lines as text (the file is flushed per entry).</summary>
    public string AuditText()
    {
        using var stream = new FileStream(AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public AuditHead AuditHead => ((AuditTrail)App.Services.GetService(typeof(AuditTrail))!).Head;

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private static int FreePort() => Ports.Free();
}
