using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strongroom.Transport.Tls;

namespace Strongroom.KmsClient;

public static class KmsClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="KekClient"/> singleton from <paramref name="section"/>. Local mode uses
    /// the certificate and peer validator the hosting library registered (this service's own mTLS identity).
    /// </summary>
    public static IServiceCollection AddKmsClient(this IServiceCollection services, IConfigurationSection section)
    {
        services.AddOptions<KmsClientOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KmsClientOptions>>().Value;
            return options.Mode == KmsMode.Google
                ? KekClient.CreateGoogle(options)
                : KekClient.CreateLocal(options, sp.GetRequiredService<ReloadingCertificate>(), sp.GetRequiredService<PeerCertificateValidator>());
        });
        return services;
    }
}
