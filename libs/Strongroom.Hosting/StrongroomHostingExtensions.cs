using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Strongroom.Hosting.Audit;
using Strongroom.Hosting.Authorization;
using Strongroom.Hosting.Tls;
using Strongroom.Pki;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting;

public static class StrongroomHostingExtensions
{
    /// <summary>Methods every service serves through the hosting library, with their default rows.</summary>
    public static IReadOnlyDictionary<string, MethodPolicy> DefaultPolicy { get; } = new Dictionary<string, MethodPolicy>(StringComparer.Ordinal)
    {
        ["/grpc.health.v1.Health/Check"] = new() { Allow = ["*"] },
        ["/grpc.health.v1.Health/Watch"] = new() { Allow = ["*"] },
        ["/grpc.health.v1.Health/List"] = new() { Allow = ["*"] },
        ["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"] = new() { Allow = ["*"] },
        ["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"] = new() { Allow = ["*"] },
        ["/strongroom.audit.v1.AuditLog/GetAuditHead"] = new() { Allow = ["operator/*"], Admin = true },
    };

    /// <summary>
    /// Everything a Strongroom service stands on: options from the <c>Strongroom</c> section, mTLS
    /// listeners (public and admin), the policy interceptor, the audit trail, health and reflection.
    /// Fails fast when the certificate does not carry the configured identity.
    /// </summary>
    public static WebApplicationBuilder AddStrongroomHosting(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(StrongroomHostingOptions.SectionName);
        builder.Services.AddOptions<StrongroomHostingOptions>()
            .Bind(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var options = section.Get<StrongroomHostingOptions>()
            ?? throw new InvalidOperationException("missing configuration section 'Strongroom'");
        var self = WorkloadIdentity.ParseShort(options.Identity);
        var tls = options.Tls;

        var time = TimeProvider.System;
        var serverCertificate = new ReloadingCertificate(tls.CertFile, tls.KeyFile, tls.ReloadInterval, time);
        if (!CertificateIdentity.TryGetIdentity(serverCertificate.Current, out var own, out _) || own != self)
        {
            throw new InvalidOperationException($"the certificate in {tls.CertFile} does not carry this service's identity {self}");
        }

        var trust = new TrustAnchor(tls.CaFile, tls.ReloadInterval, time);
        var audit = AuditTrail.Open(options.Audit.Path, self.Path, time);

        var services = builder.Services;
        services.AddSingleton(time);
        services.AddSingleton(new ServiceIdentity(self));
        services.AddSingleton(serverCertificate);
        services.AddSingleton(trust);
        services.AddSingleton(audit);
        services.AddSingleton<IDenyList, OptionsDenyList>();
        services.AddSingleton<PeerCertificateValidator>();
        services.AddSingleton(sp => new RpcPolicy(sp.GetRequiredService<IOptions<StrongroomHostingOptions>>().Value.Policy, DefaultPolicy));
        services.AddSingleton<RpcAuthorizer>();
        services.AddSingleton<StrongroomInterceptor>();
        services.AddSingleton<MappedEndpoints>();
        services.AddHostedService<PolicyCompletenessCheck>();
        services.AddGrpc(o =>
        {
            o.Interceptors.Add<StrongroomInterceptor>();
            o.MaxReceiveMessageSize = options.MaxReceiveMessageBytes;
            o.EnableDetailedErrors = false;
        });
        services.AddGrpcHealthChecks().AddCheck("self", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        services.AddGrpcReflection();

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            ApplyLimits(kestrel.Limits, options);
            var sp = kestrel.ApplicationServices;
            var serverTls = new ServerTls(serverCertificate, sp.GetRequiredService<PeerCertificateValidator>(), audit, tls.HandshakeTimeout);
            serverTls.Listen(kestrel, options.Listeners.Public, "public");
            if (!string.IsNullOrWhiteSpace(options.Listeners.Admin))
            {
                serverTls.Listen(kestrel, options.Listeners.Admin, StrongroomInterceptor.AdminListener);
            }

            if (!string.IsNullOrWhiteSpace(options.Listeners.Health))
            {
                kestrel.Listen(ServerTls.ParseEndpoint(options.Listeners.Health), listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
            }
        });
        return builder;
    }

    /// <summary>Kestrel's limits from <see cref="StrongroomHostingOptions.Limits"/>, for every listener of the process.</summary>
    public static void ApplyLimits(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits limits, StrongroomHostingOptions options)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        var l = options.Limits;
        // gRPC frames: 5 bytes of prefix per message; a body larger than one message plus slack is refused by Kestrel before gRPC buffers it.
        limits.MaxRequestBodySize = options.MaxReceiveMessageBytes + 1024L;
        limits.MaxConcurrentConnections = l.MaxConcurrentConnections;
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.MaxRequestHeadersTotalSize = l.MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = l.MaxRequestHeaderCount;
        limits.RequestHeadersTimeout = l.RequestHeadersTimeout;
        limits.KeepAliveTimeout = l.KeepAliveTimeout;
        limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(l.MinRequestBodyBytesPerSecond, l.MinDataRateGracePeriod);
        limits.MinResponseDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(l.MinResponseBytesPerSecond, l.MinDataRateGracePeriod);
        limits.Http2.MaxStreamsPerConnection = l.MaxStreamsPerConnection;
        limits.Http2.MaxRequestHeaderFieldSize = l.MaxRequestHeaderFieldSize;
        limits.Http2.HeaderTableSize = l.HeaderTableSize;
        limits.Http2.MaxFrameSize = l.MaxFrameSize;
    }

    /// <summary>Maps the endpoints every service has: gRPC health, reflection and the audit head.</summary>
    public static WebApplication MapStrongroomDefaults(this WebApplication app)
    {
        app.Services.GetRequiredService<MappedEndpoints>().Routes = app;
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGrpcService<AuditLogService>();
        var health = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StrongroomHostingOptions>>().Value.Listeners.Health;
        if (!string.IsNullOrWhiteSpace(health))
        {
            // Only on the health port: the mTLS listeners never answer it, and it answers nothing else.
            app.MapGet("/healthz", async (Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService checks, CancellationToken ct) =>
                    (await checks.CheckHealthAsync(ct)).Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                        ? Results.Text("ok\n")
                        : Results.StatusCode(503))
                .RequireHost($"*:{ServerTls.ParseEndpoint(health).Port}");
        }

        return app;
    }

    /// <summary>The full names of every gRPC method mapped on <paramref name="routes"/>.</summary>
    public static IReadOnlyList<string> ServedMethods(IEndpointRouteBuilder routes) =>
        routes.DataSources.SelectMany(d => d.Endpoints)
            .Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>())
            .Where(m => m is not null)
            .Select(m => m!.Method.FullName)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>The application's route builder, captured when the defaults are mapped.</summary>
    private sealed class MappedEndpoints
    {
        public IEndpointRouteBuilder? Routes { get; set; }
    }

    /// <summary>
    /// Runs before Kestrel accepts anything (hosted services start before the server): a method
    /// without a policy row stops the service.
    /// </summary>
    private sealed class PolicyCompletenessCheck(MappedEndpoints mapped, RpcPolicy policy) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var routes = mapped.Routes ?? throw new InvalidOperationException("MapStrongroomDefaults was not called");
            policy.EnsureCovers(ServedMethods(routes));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
