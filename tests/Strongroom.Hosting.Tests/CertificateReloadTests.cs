using Strongroom.Hosting.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Testing.V1;

namespace Strongroom.Hosting.Tests;

/// <summary>Renewed certificates take effect on new connections without restarting anything.</summary>
public sealed class CertificateReloadTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task A_renewed_server_certificate_is_presented_without_restart()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        var runner = _pki.Issue(WorkloadIdentity.Runner);
        var (before, seenBefore) = ProbeClients.Observing(_pki, runner, server.PublicAddress);
        await before.PingAsync(new PingRequest());
        var firstSerial = seenBefore()!.SerialNumber;

        using var renewed = _pki.Directory.Issue(ProbeServer.Identity);
        var (after, seenAfter) = ProbeClients.Observing(_pki, runner, server.PublicAddress);
        await after.PingAsync(new PingRequest());

        Assert.NotEqual(firstSerial, seenAfter()!.SerialNumber);
        Assert.Equal(renewed.SerialNumber, seenAfter()!.SerialNumber);
    }

    [Fact]
    public async Task A_renewed_client_certificate_is_presented_without_restart()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        var runner = _pki.Issue(WorkloadIdentity.Runner);
        var (client, _) = ProbeClients.Observing(_pki, runner, server.PublicAddress);
        var first = await client.PingAsync(new PingRequest());

        using var renewed = _pki.Directory.Issue(WorkloadIdentity.Runner);
        // The observing client opens a new connection per call (no pooling), as a recycled pool would.
        var second = await client.PingAsync(new PingRequest());

        Assert.NotEqual(first.ClientCertificateSerial, second.ClientCertificateSerial);
        Assert.Equal(renewed.SerialNumber, second.ClientCertificateSerial);
    }
}
