using Microsoft.Extensions.Options;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyPublishing;
using Strongroom.KeyService.Domain;
using Strongroom.KeyService.Grpc;
using Strongroom.KmsClient;
using Strongroom.Pki;

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
        services.AddSingleton<MessageKeys>();
        services.AddSingleton<KeyImporter>();
        services.AddHostedService<LifecycleSweeper>();
        return builder;
    }

    public static WebApplication MapKeyService(this WebApplication app)
    {
        app.MapGrpcService<KeyServiceGrpc>();
        app.MapGrpcService<KeyServiceAdminGrpc>();
        return app;
    }
}
