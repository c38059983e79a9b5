using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Testing.V1;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Tests.Support;

public static class ProbeClients
{
    /// <summary>A client presenting <paramref name="certificate"/> that expects the server to be <paramref name="expectedServer"/>.</summary>
    public static Probe.ProbeClient Create(TestPki pki, CertPaths certificate, string address, string expectedServer = "storage")
    {
        var invoker = MtlsChannelFactory.Create(
            new DownstreamOptions { Address = address, Identity = expectedServer, Deadline = TimeSpan.FromSeconds(10) },
            new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.Zero),
            new PeerCertificateValidator(new TrustAnchor(pki.CaFile, TimeSpan.Zero), EmptyDenyList.Instance));
        return new Probe.ProbeClient(invoker);
    }

    public static Probe.ProbeClient Create(TestPki pki, WorkloadIdentity identity, string address, string expectedServer = "storage") =>
        Create(pki, pki.Issue(identity), address, expectedServer);

    /// <summary>A client that presents no certificate at all but otherwise trusts the server.</summary>
    public static Probe.ProbeClient WithoutCertificate(TestPki pki, string address)
    {
        var validator = Validator(pki);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, cert, _, _) => validator.Validate(cert, PeerRole.Server, ProbeServer.Identity).Ok,
            },
        };
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        return new Probe.ProbeClient(channel);
    }

    /// <summary>Records the certificate the server presented, for reload tests.</summary>
    public static (Probe.ProbeClient Client, Func<X509Certificate2?> ServerCertificate) Observing(TestPki pki, CertPaths certificate, string address)
    {
        X509Certificate2? seen = null;
        var validator = Validator(pki);
        var client = new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.Zero);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client.Current,
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    seen = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
                    return validator.Validate(cert, PeerRole.Server, ProbeServer.Identity).Ok;
                },
            },
        };
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        return (new Probe.ProbeClient(channel), () => seen);
    }

    public static PeerCertificateValidator Validator(TestPki pki) =>
        new(new TrustAnchor(pki.CaFile, TimeSpan.Zero), EmptyDenyList.Instance);

    /// <summary>
    /// Asserts a call failed because the server refused the TLS handshake: no RPC ever existed.
    /// With TLS 1.3 the client learns of the refusal only after its own handshake completed, so
    /// Grpc.Net.Client reports UNAVAILABLE or INTERNAL depending on which read sees the alert first.
    /// </summary>
    public static void AssertRefusedAtHandshake(RpcException ex)
    {
        Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal, ex.ToString());
        Assert.True(
            ex.Status.Detail.Contains("did not complete the HTTP/2 handshake", StringComparison.Ordinal)
            || ex.Status.Detail.Contains("SSL connection could not be established", StringComparison.Ordinal)
            || ex.Status.Detail.Contains("Error connecting", StringComparison.Ordinal),
            ex.ToString());
    }
}
