using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Strongroom.Hosting.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Testing.V1;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Tests;

/// <summary>
/// Every service gets the same, stated Kestrel limits from <c>Strongroom:Limits</c> (docs/hosting.md):
/// connections, streams, headers and slow clients. The whole-stack figures are in
/// tests/Strongroom.Resilience.Tests/InputLimitsTests.
/// </summary>
public sealed class InputLimitTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void Configured_limits_reach_kestrel()
    {
        var options = new StrongroomHostingOptions
        {
            MaxReceiveMessageBytes = 2 * 1024 * 1024,
            Limits = new InputLimitOptions
            {
                MaxConcurrentConnections = 77,
                MaxStreamsPerConnection = 9,
                MaxRequestHeadersTotalSize = 8 * 1024,
                MaxRequestHeaderCount = 20,
                MaxRequestHeaderFieldSize = 4096,
                HeaderTableSize = 1024,
                MaxFrameSize = 32 * 1024,
                MinRequestBodyBytesPerSecond = 500,
                MinResponseBytesPerSecond = 600,
                MinDataRateGracePeriod = TimeSpan.FromSeconds(3),
                RequestHeadersTimeout = TimeSpan.FromSeconds(7),
                KeepAliveTimeout = TimeSpan.FromSeconds(40),
            },
        };
        var limits = new KestrelServerOptions().Limits;

        StrongroomHostingExtensions.ApplyLimits(limits, options);

        Assert.Equal((2 * 1024 * 1024) + 1024, limits.MaxRequestBodySize);
        Assert.Equal(77, limits.MaxConcurrentConnections);
        Assert.Equal(0, limits.MaxConcurrentUpgradedConnections);
        Assert.Equal(9, limits.Http2.MaxStreamsPerConnection);
        Assert.Equal(8 * 1024, limits.MaxRequestHeadersTotalSize);
        Assert.Equal(20, limits.MaxRequestHeaderCount);
        Assert.Equal(4096, limits.Http2.MaxRequestHeaderFieldSize);
        Assert.Equal(1024, limits.Http2.HeaderTableSize);
        Assert.Equal(32 * 1024, limits.Http2.MaxFrameSize);
        Assert.Equal(500, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(3), limits.MinRequestBodyDataRate.GracePeriod);
        Assert.Equal(600, limits.MinResponseDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(7), limits.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(40), limits.KeepAliveTimeout);
    }

    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        // docs/hosting.md, "Input limits": change both together.
        var l = new StrongroomHostingOptions().Limits;

        Assert.Equal(1024, l.MaxConcurrentConnections);
        Assert.Equal(100, l.MaxStreamsPerConnection);
        Assert.Equal(32 * 1024, l.MaxRequestHeadersTotalSize);
        Assert.Equal(100, l.MaxRequestHeaderCount);
        Assert.Equal(16 * 1024, l.MaxRequestHeaderFieldSize);
        Assert.Equal(240, l.MinRequestBodyBytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), l.MinDataRateGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(130), l.KeepAliveTimeout);
        Assert.Equal(4 * 1024 * 1024, new StrongroomHostingOptions().MaxReceiveMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), new StrongroomHostingOptions().Tls.HandshakeTimeout);
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_at_once_while_an_open_client_is_still_served()
    {
        var policy = ProbeServer.DefaultPolicy();
        policy["Strongroom:Limits:MaxConcurrentConnections"] = "16";
        await using var server = await ProbeServer.StartAsync(_pki, policy);
        var client = ProbeClients.Create(_pki, WorkloadIdentity.Runner, server.PublicAddress);
        await client.PingAsync(new PingRequest());

        var sockets = new List<Socket>();
        try
        {
            // 1 connection is the client's; 15 more fit; the next 10 are over the limit.
            for (var i = 0; i < 25; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.PublicPort));
            }

            var closed = await Task.WhenAll(sockets.Select(s => ClosedWithinAsync(s, TimeSpan.FromSeconds(3))));

            Assert.Equal(10, closed.Count(c => c));
            Assert.False(closed.Take(15).Any(c => c), "a connection within the limit was closed");
            Assert.Equal(WorkloadIdentity.Runner.ToString(), (await client.PingAsync(new PingRequest())).Caller);
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public async Task Request_headers_over_the_total_size_fail_the_call_and_the_connection_keeps_serving()
    {
        var policy = ProbeServer.DefaultPolicy();
        policy["Strongroom:Limits:MaxRequestHeadersTotalSize"] = "8192";
        await using var server = await ProbeServer.StartAsync(_pki, policy);
        var client = ProbeClients.Create(_pki, WorkloadIdentity.Runner, server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PingAsync(new PingRequest(), new Metadata { { "x-big", new string('b', 12 * 1024) } }));

        Assert.NotEqual(StatusCode.OK, ex.StatusCode);
        Assert.DoesNotContain(ProbeServer.Ping, server.AuditText());
        Assert.Equal(WorkloadIdentity.Runner.ToString(), (await client.PingAsync(new PingRequest(), new Metadata { { "x-small", new string('s', 4 * 1024) } })).Caller);
    }

    [Fact]
    public async Task A_grpc_body_dribbled_to_a_non_grpc_endpoint_is_aborted_by_the_minimum_rate_and_a_prompt_one_is_read()
    {
        // The edge's case: YARP lifts Kestrel's rate for gRPC requests it proxies, so the edge's proxy pipeline imposes it again.
        var policy = ProbeServer.DefaultPolicy();
        policy["Strongroom:Limits:MinDataRateGracePeriod"] = "00:00:02";
        var app = ProbeServer.Build(_pki, policy, null, out var publicPort, out _, out _);
        app.UseProxiedBodyRate();  // as the edge's proxy pipeline does
        app.MapPost("/proxied", async context =>
        {
            // What YARP's forwarder does to every gRPC request before it copies the body.
            context.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.IHttpMinRequestBodyDataRateFeature>()!.MinDataRate = null;
            var bytes = 0L;
            var buffer = new byte[1024];
            while (true)
            {
                // YARP's copier waits with a zero-byte read before each read: 0 from it is not the end of the body.
                _ = await context.Request.Body.ReadAsync(Memory<byte>.Empty);
                var n = await context.Request.Body.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                bytes += n;
            }

            await context.Response.WriteAsync(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await app.StartAsync();
        try
        {
            using var client = Http2Client(_pki.Issue(WorkloadIdentity.Runner));
            var address = $"https://127.0.0.1:{publicPort}/proxied";

            var prompt = await client.SendAsync(GrpcPost(address, new ByteArrayContent(new byte[100_000])));
            Assert.Equal("100000", await prompt.Content.ReadAsStringAsync());

            var watch = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                using var response = await client.SendAsync(GrpcPost(address, new DribbleContent()), HttpCompletionOption.ResponseHeadersRead);
                await response.Content.ReadAsStringAsync();
            });
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"held {watch.Elapsed.TotalSeconds:0.0} s: {ex.Message}");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static HttpRequestMessage GrpcPost(string address, HttpContent content)
    {
        content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        return new HttpRequestMessage(HttpMethod.Post, address) { Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    private HttpClient Http2Client(CertPaths certificate)
    {
        var current = new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.Zero);
        var validator = ProbeClients.Validator(_pki);
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
                ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => current.Current,
                RemoteCertificateValidationCallback = (_, cert, _, _) => validator.Validate(cert, PeerRole.Server, ProbeServer.Identity).Ok,
            },
        })
        { Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>Two bytes every half second, for ever.</summary>
    private sealed class DribbleContent : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            while (true)
            {
                await stream.WriteAsync(new byte[2]);
                await stream.FlushAsync();
                await Task.Delay(500);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static async Task<bool> ClosedWithinAsync(Socket socket, TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await socket.ReceiveAsync(new byte[16], SocketFlags.None, cts.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
