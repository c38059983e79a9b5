using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Strongroom.Edge.Routing;
using Strongroom.Hosting.Audit;
using Strongroom.Transport.Tls;
using Yarp.ReverseProxy.Forwarder;

namespace Strongroom.Edge.Backends;

/// <summary>
/// The HTTP clients YARP forwards with: TLS 1.3 + HTTP/2, presenting the edge's own (reloading)
/// certificate, and accepting only a backend whose certificate chains to the deployment CA and
/// names exactly the service the cluster expects — a storage certificate cannot pose as runner.
/// </summary>
public sealed class BackendHttpClientFactory(
    ReloadingCertificate edgeCertificate,
    PeerCertificateValidator validator,
    AuditTrail audit,
    IOptions<EdgeOptions> options,
    ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override bool CanReuseOldClient(ForwarderHttpClientContext context) =>
        // The base compares only the HTTP client settings; a changed expected identity needs a new client.
        base.CanReuseOldClient(context)
        && EdgeRouteFilter.NamedIdentity(context.OldMetadata, context.ClusterId) == EdgeRouteFilter.NamedIdentity(context.NewMetadata, context.ClusterId);

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        // The filter has already refused clusters whose identity serves nothing routable.
        var expected = EdgeRouteFilter.NamedIdentity(context.NewMetadata, context.ClusterId);
        var backends = options.Value.Backends;
        handler.ConnectTimeout = backends.ConnectTimeout;
        handler.PooledConnectionLifetime = backends.ConnectionLifetime;
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => edgeCertificate.Current,
            // The host name is not what we trust: the URI SAN is, checked against the cluster's service.
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                var check = validator.Validate(certificate, PeerRole.Server, expected);
                if (!check.Ok)
                {
                    audit.Append(new AuditEvent(
                        check.Identity?.ToString() ?? "-",
                        "tls.backend",
                        "REFUSED",
                        Detail: check.Reason + " (cluster " + context.ClusterId + ")"));
                }

                return check.Ok;
            },
        };
    }
}
