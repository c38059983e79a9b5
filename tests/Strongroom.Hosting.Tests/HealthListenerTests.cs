using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Strongroom.Hosting.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Hosting.Tests;

/// <summary>The plain probe listener (Kubernetes liveness/readiness): /healthz and nothing else.</summary>
public sealed class HealthListenerTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private readonly int _healthPort = Ports.Free();
    private WebApplication _app = null!;
    private int _publicPort;

    public async ValueTask InitializeAsync()
    {
        var policy = ProbeServer.DefaultPolicy();
        policy["Strongroom:Listeners:Health"] = $"127.0.0.1:{_healthPort}";
        _app = ProbeServer.Build(_pki, policy, null, out _publicPort, out _, out _);
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task A_probe_gets_ok_without_a_certificate_and_nothing_else_is_served_there()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_healthPort}") };
        var ok = await http.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("ok\n", await ok.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode);

        // A gRPC call (health, even) over the plain listener gets nowhere: HTTP/1.1 only, no gRPC.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_healthPort}");
        var grpc = new Grpc.Health.V1.Health.HealthClient(channel);
        await Assert.ThrowsAnyAsync<Exception>(() => grpc.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
    }

    [Fact]
    public async Task The_mtls_listener_does_not_answer_healthz()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{_publicPort}") };
        // No client certificate: the TLS handshake itself is refused before any route is consulted.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken));
    }
}
