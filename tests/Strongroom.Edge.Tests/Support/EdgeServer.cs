using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Edge.Tests.Support;

/// <summary>The edge exactly as Program.cs composes it, on real Kestrel at 127.0.0.1, configured in memory.</summary>
public sealed class EdgeServer : IAsyncDisposable
{
    public const string GetJwks = "/strongroom.storage.v1.Storage/GetJwks";
    public const string LookupKey = "/strongroom.storage.v1.Storage/LookupKey";
    public const string Submit = "/strongroom.runner.v1.Runner/Submit";
    public const string WatchJob = "/strongroom.runner.v1.Runner/WatchJob";

    private EdgeServer(WebApplication app, EdgeSettings settings, CapturingLoggerProvider logs)
    {
        App = app;
        Settings = settings;
        Logs = logs;
    }

    public WebApplication App { get; }

    public EdgeSettings Settings { get; }

    public CapturingLoggerProvider Logs { get; }

    public string PublicAddress => $"https://127.0.0.1:{Settings.PublicPort}";

    public string AdminAddress => $"https://127.0.0.1:{Settings.AdminPort}";

    /// <summary>Builds and maps the edge; configuration the edge refuses throws from here.</summary>
    public static WebApplication Build(EdgeSettings settings, CapturingLoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Only what the test says: the edge's appsettings.json (dev routes) must not leak in.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.Values);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.AddStrongroomEdge();
        var app = builder.Build();
        app.MapStrongroomEdge();
        return app;
    }

    public static async Task<EdgeServer> StartAsync(EdgeSettings settings)
    {
        var logs = new CapturingLoggerProvider();
        var app = Build(settings, logs);
        await app.StartAsync();
        return new EdgeServer(app, settings, logs);
    }

    /// <summary>Applies configuration changes the way a reloaded appsettings file would.</summary>
    public void Reconfigure(IDictionary<string, string?> changes)
    {
        var root = (IConfigurationRoot)App.Services.GetRequiredService<IConfiguration>();
        var memory = root.Providers.OfType<MemoryConfigurationProvider>().Single();
        foreach (var (key, value) in changes)
        {
            memory.Set(key, value);
        }

        root.Reload();
    }

    /// <summary>The edge's audit trail as text (flushed per entry).</summary>
    public string AuditText()
    {
        using var stream = new FileStream(Settings.AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>In-memory configuration for one edge: its certificate, listeners, limits, routes and clusters.</summary>
public sealed class EdgeSettings
{
    public EdgeSettings(TestPki pki, CertPaths? edgeCertificate = null)
    {
        var certificate = edgeCertificate ?? pki.Issue(WorkloadIdentity.Edge);
        PublicPort = Ports.Free();
        AdminPort = Ports.Free();
        AuditPath = Path.Combine(pki.Root, "audit", "edge-" + Guid.NewGuid().ToString("N") + ".log");
        Values["Strongroom:Identity"] = "edge";
        Values["Strongroom:Tls:CaFile"] = pki.CaFile;
        Values["Strongroom:Tls:CertFile"] = certificate.Certificate;
        Values["Strongroom:Tls:KeyFile"] = certificate.Key;
        Values["Strongroom:Tls:ReloadInterval"] = "00:00:00";
        Values["Strongroom:Listeners:Public"] = $"127.0.0.1:{PublicPort}";
        Values["Strongroom:Listeners:Admin"] = $"127.0.0.1:{AdminPort}";
        Values["Strongroom:Audit:Path"] = AuditPath;
    }

    public Dictionary<string, string?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int PublicPort { get; }

    public int AdminPort { get; }

    public string AuditPath { get; }

    public EdgeSettings Route(string routeId, string clusterId, string path)
    {
        Values[$"ReverseProxy:Routes:{routeId}:ClusterId"] = clusterId;
        Values[$"ReverseProxy:Routes:{routeId}:Match:Path"] = path;
        return this;
    }

    public EdgeSettings Cluster(string clusterId, string? identity, string address)
    {
        if (identity is not null)
        {
            Values[$"ReverseProxy:Clusters:{clusterId}:Metadata:Identity"] = identity;
        }

        Values[$"ReverseProxy:Clusters:{clusterId}:Destinations:d1:Address"] = address;
        return this;
    }

    public EdgeSettings Set(string key, string? value)
    {
        Values[key] = value;
        return this;
    }

    /// <summary>Storage's GetJwks and LookupKey to <paramref name="storage"/>, the runner's Submit and WatchJob to <paramref name="runner"/>.</summary>
    public EdgeSettings RouteTo(TestBackend storage, TestBackend? runner = null)
    {
        Cluster("storage", "storage", storage.PublicAddress)
            .Route("storage-get-jwks", "storage", EdgeServer.GetJwks)
            .Route("storage-lookup-key", "storage", EdgeServer.LookupKey);
        if (runner is not null)
        {
            Cluster("runner", "runner", runner.PublicAddress)
                .Route("runner-submit", "runner", EdgeServer.Submit)
                .Route("runner-watch-job", "runner", EdgeServer.WatchJob);
        }

        return this;
    }
}
