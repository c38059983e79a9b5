using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strongroom.Hosting.Tls;
using Strongroom.Storage.Domain;
using Strongroom.Storage.Grpc;
using Strongroom.Storage.Http;
using Strongroom.Storage.Store;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Storage.Extensions;

public static class StorageExtensions
{
    /// <summary>storage's domain over its configured backend, the signer client, and the read-only JWKS listener.</summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value);
        services.TryAddSingleton<IStorageStore>(sp => OpenStore(sp.GetRequiredService<StorageOptions>()));
        // Tests may register their own ICheckpointSigner first; production signs through the signer.
        services.TryAddSingleton<ICheckpointSigner>(sp => new GrpcCheckpointSigner(MtlsChannelFactory.Create(
            sp.GetRequiredService<StorageOptions>().Signer,
            sp.GetRequiredService<ReloadingCertificate>(),
            sp.GetRequiredService<PeerCertificateValidator>())));
        // The key log's jobs, one class each (docs/storage.md); all singletons over the one store.
        services.AddSingleton<OperatorDocumentVerifier>();
        services.AddSingleton<Checkpointer>();
        services.AddSingleton<KeyPublisher>();
        services.AddSingleton<ClientRegistry>();
        services.AddSingleton<AuditAnchoring>();
        // One per process: proofs catch up from the cached size instead of re-reading the log.
        services.AddSingleton<LeafHashCache>();
        services.AddSingleton<LogReader>();
        services.AddSingleton<StoredLogVerifier>();
        services.AddSingleton<KeyLookup>();
        services.AddSingleton<ResultService>();

        var readOnly = builder.Configuration.GetSection(StorageOptions.SectionName)[nameof(StorageOptions.ReadOnlyListener)] ?? new StorageOptions().ReadOnlyListener;
        if (!string.IsNullOrWhiteSpace(readOnly))
        {
            builder.WebHost.ConfigureKestrel((_, kestrel) =>
            {
                var certificate = kestrel.ApplicationServices.GetRequiredService<ReloadingCertificate>();
                kestrel.Listen(ServerTls.ParseEndpoint(readOnly), listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        HandshakeTimeout = TimeSpan.FromSeconds(10),
                        OnConnection = context =>
                        {
                            context.Connection.Items[ReadOnlyEndpoints.ListenerKey] = ReadOnlyEndpoints.ListenerName;
                            // Public data for anyone: storage's own server certificate, no client certificate asked.
                            return ValueTask.FromResult(new SslServerAuthenticationOptions
                            {
                                ServerCertificateContext = certificate.Context,
                                ClientCertificateRequired = false,
                                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                            });
                        },
                    });
                });
            });
        }

        return builder;
    }

    public static WebApplication MapStorage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Resolved now so a bad operator key or log verifier key stops the service at start.
        _ = app.Services.GetRequiredService<OperatorDocumentVerifier>();
        _ = app.Services.GetRequiredService<Checkpointer>();
        app.MapGrpcService<StorageGrpc>();
        app.MapGrpcService<StorageAdminGrpc>();
        ReadOnlyEndpoints.Map(app);
        return app;
    }

    private static IStorageStore OpenStore(StorageOptions options) => options.Backend switch
    {
        StorageBackend.Postgres => PostgresStorageStore.OpenAsync(options.PostgresConnectionString, options.PostgresSchema).GetAwaiter().GetResult(),
        _ => SqliteStorageStore.Open(options.SqlitePath),
    };

    internal static bool IsReadOnlyListener(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items is { } items
        && items.TryGetValue(ReadOnlyEndpoints.ListenerKey, out var name)
        && Equals(name, ReadOnlyEndpoints.ListenerName);
}
