using Microsoft.Extensions.Options;
using Strongroom.KeyAdmin;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyPublishing;
using Strongroom.KmsClient;
using Strongroom.Pki;
using Strongroom.Signer.Domain;
using Strongroom.Signer.Grpc;

namespace Strongroom.Signer.Extensions;

public static class SignerExtensions
{
    /// <summary>The signer's domain: Ed25519 custody over its own SQLite store and kms key ring, its state store and the publishing outbox.</summary>
    public static WebApplicationBuilder AddSigner(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SignerOptions>().BindConfiguration(SignerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<SignerOptions>>().Value);
        services.AddKmsClient(builder.Configuration.GetSection(KmsClientOptions.DefaultSectionName));
        services.AddSingleton(sp => SqliteKeyStore.Open(sp.GetRequiredService<SignerOptions>().KeyStorePath));
        services.AddSingleton<IKeyStore>(sp => sp.GetRequiredService<SqliteKeyStore>());
        services.AddSingleton(sp => SignerState.Open(sp.GetRequiredService<SignerOptions>().StatePath));
        services.AddSingleton<IKeyEncryptionService, KmsKeyEncryptionService>();
        services.AddKeyPublishing(
            WorkloadIdentity.Signer,
            sp => sp.GetRequiredService<SignerOptions>().Publishing,
            sp => sp.GetRequiredService<SignerOptions>().StatePath,
            sp => SigningKeySet.Describe(sp.GetRequiredService<SignerOptions>()));
        services.AddSingleton(sp => new KeyCustodian(
            sp.GetRequiredService<SqliteKeyStore>(),
            sp.GetRequiredService<IKeyEncryptionService>(),
            [new Ed25519Kind()],
            sp.GetRequiredService<SignerOptions>().Custody,
            "signer",
            sp.GetRequiredService<TimeProvider>(),
            [sp.GetRequiredService<KeyPublisher>()]));
        services.AddSingleton<SigningKeySet>();
        services.AddKeyAdmin<SignerKeyAdmin>();
        services.AddSingleton<ResultSigner>();
        services.AddSingleton<CheckpointSigner>();
        services.AddHostedService(sp => new KeyLifecycleSweeper(
            sp.GetRequiredService<KeyCustodian>(),
            sp.GetRequiredService<SigningKeySet>().EnsureKeysAsync,
            sp.GetRequiredService<SignerOptions>().SweepInterval,
            sp.GetRequiredService<ILogger<KeyLifecycleSweeper>>()));
        return builder;
    }

    public static WebApplication MapSigner(this WebApplication app)
    {
        app.MapGrpcService<SignerGrpc>();
        app.MapGrpcService<SignerAdminGrpc>();
        app.MapKeyAdmin();
        return app;
    }
}
