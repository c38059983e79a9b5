using Microsoft.Extensions.Options;
using Strongroom.KeyAdmin;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyPublishing;
using Strongroom.KeyService.Domain;
using Strongroom.KeyService.Grpc;
using Strongroom.KmsClient;
using Strongroom.Pki;
using Strongroom.Requests;
using Strongroom.Requests.Lookup;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.KeyService.Extensions;

public static class KeyServiceExtensions
{
    /// <summary>keyservice's domain: custody over its own SQLite store and its own kms key ring; its keys published to storage's key log through an outbox.</summary>
    public static WebApplicationBuilder AddKeyService(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<KeyServiceOptions>().BindConfiguration(KeyServiceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<KeyServiceOptions>>().Value);
        services.AddKmsClient(builder.Configuration.GetSection(KmsClientOptions.DefaultSectionName));
        services.AddSingleton(sp => SqliteKeyStore.Open(sp.GetRequiredService<KeyServiceOptions>().StorePath));
        services.AddSingleton<IKeyStore>(sp => sp.GetRequiredService<SqliteKeyStore>());
        services.AddSingleton<IKeyEncryptionService, KmsKeyEncryptionService>();
        services.AddKeyPublishing(
            WorkloadIdentity.KeyService,
            sp => sp.GetRequiredService<KeyServiceOptions>().Publishing,
            sp => sp.GetRequiredService<KeyServiceOptions>().ResolvedOutboxPath,
            sp => PublicKeyView.Describe(sp.GetRequiredService<KeyServiceOptions>()));
        services.AddSingleton(sp => new KeyCustodian(
            sp.GetRequiredService<SqliteKeyStore>(),
            sp.GetRequiredService<IKeyEncryptionService>(),
            [new Rsa4096Kind(), new X25519Kind()],
            sp.GetRequiredService<KeyServiceOptions>().Custody,
            "keyservice",
            sp.GetRequiredService<TimeProvider>(),
            [sp.GetRequiredService<KeyPublisher>()]));
        services.AddSingleton(sp => RequestLedger.Open(sp.GetRequiredService<KeyServiceOptions>().ResolvedRequestLedgerPath));
        services.AddSingleton<IClientKeyDirectory>(sp =>
        {
            var keyLog = sp.GetRequiredService<KeyServiceOptions>().KeyLog;
            var invoker = MtlsChannelFactory.Create(
                new DownstreamOptions { Address = keyLog.Address, Identity = keyLog.Identity, Deadline = keyLog.Deadline },
                sp.GetRequiredService<ReloadingCertificate>(),
                sp.GetRequiredService<PeerCertificateValidator>());
            return new StorageClientKeyDirectory(new Strongroom.Storage.V1.Storage.StorageClient(invoker));
        });
        services.AddSingleton<RequestVerifier>();
        services.AddSingleton<MessageKeyRelease>();
        services.AddSingleton<KeyImporter>();
        services.AddKeyAdmin<KeyServiceKeyAdmin>();
        services.AddHostedService(sp => new KeyLifecycleSweeper(
            sp.GetRequiredService<KeyCustodian>(),
            sp.GetRequiredService<KeyImporter>().EnsureImportKeyAsync,
            sp.GetRequiredService<KeyServiceOptions>().SweepInterval,
            sp.GetRequiredService<ILogger<KeyLifecycleSweeper>>()));
        return builder;
    }

    public static WebApplication MapKeyService(this WebApplication app)
    {
        app.MapGrpcService<KeyServiceGrpc>();
        app.MapGrpcService<KeyServiceAdminGrpc>();
        app.MapKeyAdmin();
        return app;
    }
}
