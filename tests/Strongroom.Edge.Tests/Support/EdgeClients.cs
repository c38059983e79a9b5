using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Grpc.Core;
using Grpc.Net.Client;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Edge.Tests.Support;

public static class EdgeClients
{
    public static PeerCertificateValidator Validator(TestPki pki) =>
        new(new TrustAnchor(pki.CaFile, TimeSpan.Zero), EmptyDenyList.Instance);

    /// <summary>A caller presenting <paramref name="certificate"/> that, like every Strongroom client, insists the server is the edge.</summary>
    public static CallInvoker Create(TestPki pki, CertPaths certificate, string address) =>
        MtlsChannelFactory.Create(
            new DownstreamOptions { Address = address, Identity = "edge", Deadline = TimeSpan.FromSeconds(10) },
            new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.Zero),
            Validator(pki));

    public static CallInvoker Create(TestPki pki, WorkloadIdentity identity, string address) =>
        Create(pki, pki.Issue(identity), address);

    /// <summary>A caller that presents no certificate but otherwise trusts the edge.</summary>
    public static CallInvoker WithoutCertificate(TestPki pki, string address)
    {
        var validator = Validator(pki);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, cert, _, _) => validator.Validate(cert, PeerRole.Server, WorkloadIdentity.Edge).Ok,
            },
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler }).CreateCallInvoker();
    }

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>Calls any method path with an empty request message, as a generated client would.</summary>
    public static Task<byte[]> CallAsync(CallInvoker invoker, string path)
    {
        var slash = path.LastIndexOf('/');
        var method = new Method<byte[], byte[]>(MethodType.Unary, path[1..slash], path[(slash + 1)..], Bytes, Bytes);
        return invoker.AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), []).ResponseAsync;
    }

    /// <summary>
    /// A raw HTTP/2 request with a client certificate, for paths and methods a gRPC client would
    /// never produce. Returns the HTTP status and the grpc-status header the edge answered with.
    /// </summary>
    public static async Task<(HttpStatusCode Http, string? GrpcStatus)> RawAsync(TestPki pki, CertPaths certificate, string address, HttpMethod method, string path)
    {
        var validator = Validator(pki);
        var client = new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.Zero);
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client.Current,
                RemoteCertificateValidationCallback = (_, cert, _, _) => validator.Validate(cert, PeerRole.Server, WorkloadIdentity.Edge).Ok,
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(method, address + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (method != HttpMethod.Get)
        {
            // One empty, uncompressed gRPC message.
            request.Content = new ByteArrayContent(new byte[5]);
            request.Content.Headers.ContentType = new("application/grpc");
        }

        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        // Trailers-only: the status travels in the response headers, with no message and no trailers.
        var status = response.Headers.TryGetValues("grpc-status", out var values) ? values.FirstOrDefault() : null;
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, status);
    }

    /// <summary>
    /// Asserts a call failed because the edge refused the TLS handshake: no RPC ever existed. With
    /// TLS 1.3 the client learns of the refusal only after its own handshake completed, so
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
