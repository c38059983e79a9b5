using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Strongroom.Hosting.Audit;
using Strongroom.Pki;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Tls;

/// <summary>
/// Kestrel listeners that require a client certificate at the handshake. The handshake is
/// configured per connection (a TLS handshake callback), which gives three things Kestrel's
/// ClientCertificateValidation cannot: the server certificate is re-read on renewal, the validation
/// callback runs even when no certificate is sent, and refusals are audited from the TLS layer.
/// </summary>
public sealed class ServerTls(ReloadingCertificate serverCertificate, PeerCertificateValidator validator, AuditTrail audit, TimeSpan handshakeTimeout)
{
    public void Listen(KestrelServerOptions kestrel, string endpoint, string listenerName)
    {
        kestrel.Listen(ParseEndpoint(endpoint), listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                HandshakeTimeout = handshakeTimeout,
                OnConnection = context => ValueTask.FromResult(CreateOptions(context.Connection, listenerName)),
            });
        });
    }

    private SslServerAuthenticationOptions CreateOptions(ConnectionContext connection, string listenerName)
    {
        connection.Items[StrongroomInterceptor.ListenerKey] = listenerName;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = serverCertificate.Context,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                var check = validator.Validate(certificate, PeerRole.Client);
                if (!check.Ok)
                {
                    audit.Append(new AuditEvent(
                        check.Identity?.ToString() ?? "-",
                        "tls.handshake",
                        "REFUSED",
                        Detail: check.Reason + " from " + connection.RemoteEndPoint,
                        Peer: listenerName));
                    return false;
                }

                connection.Items[StrongroomInterceptor.PeerKey] = check.Identity;
                return true;
            },
        };
    }

    /// <summary>
    /// The identity this connection's handshake validated, for code that is not behind the gRPC
    /// interceptor (the edge's proxy pipeline); null when the connection was not set up by <see cref="Listen"/>.
    /// </summary>
    public static WorkloadIdentity? PeerOf(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items is { } items
        && items.TryGetValue(StrongroomInterceptor.PeerKey, out var peer)
            ? peer as WorkloadIdentity
            : null;

    /// <summary>Whether this request arrived on the admin listener.</summary>
    public static bool IsAdminListener(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items is { } items
        && items.TryGetValue(StrongroomInterceptor.ListenerKey, out var listener)
        && Equals(listener, StrongroomInterceptor.AdminListener);

    public static IPEndPoint ParseEndpoint(string value)
    {
        if (!IPEndPoint.TryParse(value, out var endpoint))
        {
            throw new FormatException($"listener '{value}' is not an address:port");
        }

        return endpoint;
    }
}
