using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.KeyCustody;
using Strongroom.Pki;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.KeyPublishing;

public static class KeyPublishingExtensions
{
    /// <summary>
    /// The outbox (<paramref name="outboxPath"/>), the <see cref="KeyPublisher"/> observer for
    /// <paramref name="owner"/>'s keys (pass it to the service's KeyCustodian) and the hosted
    /// <see cref="OutboxWorker"/> delivering to storage over mTLS as the service's own certificate.
    /// </summary>
    public static IServiceCollection AddKeyPublishing(
        this IServiceCollection services,
        WorkloadIdentity owner,
        Func<IServiceProvider, PublishingOptions> options,
        Func<IServiceProvider, string> outboxPath,
        Func<IServiceProvider, KeyDescriber> describer)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outboxPath);
        ArgumentNullException.ThrowIfNull(describer);
        services.AddSingleton(sp => KeyOutbox.Open(outboxPath(sp)));
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton(sp => new KeyPublisher(
            sp.GetRequiredService<KeyOutbox>(),
            owner,
            describer(sp),
            sp.GetRequiredService<IKeyStore>(),
            sp.GetRequiredService<OutboxSignal>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var publishing = options(sp);
            var invoker = MtlsChannelFactory.Create(
                new DownstreamOptions { Address = publishing.Address, Identity = publishing.Identity, Deadline = publishing.Deadline },
                sp.GetRequiredService<ReloadingCertificate>(),
                sp.GetRequiredService<PeerCertificateValidator>());
            return new OutboxWorker(
                sp.GetRequiredService<KeyOutbox>(),
                new StorageApi.Storage.StorageClient(invoker),
                publishing,
                sp.GetRequiredService<OutboxSignal>(),
                sp.GetRequiredService<ILogger<OutboxWorker>>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<OutboxWorker>());
        return services;
    }
}
