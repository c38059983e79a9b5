using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Strongroom.Pki;
using Strongroom.Transport.Tls;

namespace Strongroom.Transport.Channels;

/// <summary>Settings for calls to one downstream service.</summary>
public sealed class DownstreamOptions
{
    /// <summary>https://host:port of the service's listener.</summary>
    public string Address { get; set; } = "";

    /// <summary>The service identity its certificate must carry (short form, e.g. <c>keyservice</c>).</summary>
    public string Identity { get; set; } = "";

    /// <summary>Deadline applied to every call that does not set a shorter one.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;
}

/// <summary>
/// Builds gRPC channels that present this workload's (reloading) certificate and accept only a
/// server whose certificate chains to the deployment CA and names exactly the service meant.
/// </summary>
public static class MtlsChannelFactory
{
    public static CallInvoker Create(DownstreamOptions options, ReloadingCertificate clientCertificate, PeerCertificateValidator validator) =>
        CreateChannel(options, clientCertificate, validator).Intercept(new DefaultDeadlineInterceptor(options.Deadline));

    public static GrpcChannel CreateChannel(DownstreamOptions options, ReloadingCertificate clientCertificate, PeerCertificateValidator validator)
    {
        var expected = WorkloadIdentity.ParseShort(options.Identity);
        if (!expected.IsService)
        {
            throw new ArgumentException("downstream identity must be a service", nameof(options));
        }

        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            // Recycled connections pick up a renewed client certificate.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate.Current,
                // The host name is not what we trust: the URI SAN is, checked against the intended service.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    validator.Validate(certificate, PeerRole.Server, expected).Ok,
            },
        };
        return GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
        });
    }
}

/// <summary>Gives every call a deadline, so no downstream wait is unbounded.</summary>
public sealed class DefaultDeadlineInterceptor(TimeSpan deadline) : Interceptor
{
    private CallOptions WithDeadline(CallOptions options) =>
        options.Deadline is null ? options.WithDeadline(DateTime.UtcNow + deadline) : options;

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, new(context.Method, context.Host, WithDeadline(context.Options)));

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, new(context.Method, context.Host, WithDeadline(context.Options)));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, new(context.Method, context.Host, WithDeadline(context.Options)));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(new(context.Method, context.Host, WithDeadline(context.Options)));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(new(context.Method, context.Host, WithDeadline(context.Options)));
}
