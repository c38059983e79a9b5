using Grpc.Core;
using Strongroom.Hosting.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Testing.V1;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Tests;

/// <summary>Handshake-level refusals on real Kestrel over loopback, each audited from the TLS layer.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task A_caller_with_a_deployment_certificate_is_identified_by_its_uri_san()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        var client = ProbeClients.Create(_pki, WorkloadIdentity.Runner, server.PublicAddress);

        var reply = await client.PingAsync(new PingRequest());

        Assert.Equal("spiffe://strongroom/runner", reply.Caller);
        Assert.Equal("spiffe://strongroom/runner", reply.Peer);
    }

    [Fact]
    public async Task A_caller_without_a_certificate_is_refused_at_the_handshake_and_audited()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        var client = ProbeClients.WithoutCertificate(_pki, server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        ProbeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("\"action\":\"tls.handshake\"", server.AuditText());
        Assert.Contains("no client certificate", server.AuditText());
        Assert.DoesNotContain(ProbeServer.Ping, server.AuditText());
    }

    [Fact]
    public async Task A_certificate_from_a_foreign_ca_is_refused_and_audited()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        using var foreign = new TestPki("foreign");
        var client = ProbeClients.Create(_pki, foreign.Issue(WorkloadIdentity.Runner), server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        ProbeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("not issued by the deployment CA", server.AuditText());
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_and_audited()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        var expired = _pki.IssueCustom("expired", [WorkloadIdentity.Runner.Uri], serverAuth: true,
            DateTimeOffset.UtcNow.AddDays(-3), TimeSpan.FromDays(1));
        var client = ProbeClients.Create(_pki, expired, server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        ProbeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("certificate expired or not yet valid", server.AuditText());
    }

    [Fact]
    public async Task A_denied_identity_is_refused_at_the_handshake_and_audited()
    {
        await using var server = await ProbeServer.StartAsync(_pki, denyList: ["runner"]);
        var client = ProbeClients.Create(_pki, WorkloadIdentity.Runner, server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        ProbeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("identity is on the deny-list", server.AuditText());
        Assert.Contains("\"caller\":\"spiffe://strongroom/runner\"", server.AuditText());
    }

    [Theory]
    [InlineData("spiffe://strongroom/client/Upper", "URI SAN is not a Strongroom workload identity")]
    [InlineData("spiffe://strongroom/admin", "URI SAN is not a Strongroom workload identity")]
    [InlineData("spiffe://strongroom/client/a/b", "URI SAN is not a Strongroom workload identity")]
    [InlineData("https://strongroom/runner", "URI SAN is not a Strongroom workload identity")]
    [InlineData("spiffe://elsewhere/runner", "URI SAN is not a Strongroom workload identity")]
    public async Task A_certificate_whose_san_breaks_the_pattern_is_refused(string uri, string reason)
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        var odd = _pki.IssueCustom("odd", [new Uri(uri)], serverAuth: true, DateTimeOffset.UtcNow.AddMinutes(-1), TimeSpan.FromDays(1));
        var client = ProbeClients.Create(_pki, odd, server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        ProbeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains(reason, server.AuditText());
    }

    [Fact]
    public async Task A_certificate_with_two_uri_sans_is_refused()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        var two = _pki.IssueCustom("two", [WorkloadIdentity.Runner.Uri, WorkloadIdentity.Operator("root").Uri], serverAuth: true,
            DateTimeOffset.UtcNow.AddMinutes(-1), TimeSpan.FromDays(1));
        var client = ProbeClients.Create(_pki, two, server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        ProbeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("more than one URI SAN", server.AuditText());
    }

    [Fact]
    public async Task A_client_refuses_a_server_whose_san_names_another_service()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        // The probe server is storage; a runner that meant to reach keyservice must not talk to it.
        var client = ProbeClients.Create(_pki, WorkloadIdentity.Runner, server.PublicAddress, expectedServer: "keyservice");

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        // The client aborts its own handshake; Grpc.Net.Client reports that as INTERNAL, not UNAVAILABLE.
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.IsType<System.Security.Authentication.AuthenticationException>(ex.Status.DebugException?.InnerException);
        Assert.DoesNotContain(ProbeServer.Ping, server.AuditText());
    }

    [Fact]
    public async Task A_client_certificate_cannot_serve_as_a_server_certificate()
    {
        // A client identity has clientAuth only, so even with the right CA it cannot act as a service.
        var clientCert = _pki.Issue(WorkloadIdentity.Client("alice"));
        using var _ = new ReloadingCertificate(clientCert.Certificate, clientCert.Key, TimeSpan.Zero);
        var validator = new PeerCertificateValidator(new TrustAnchor(_pki.CaFile, TimeSpan.Zero), EmptyDenyList.Instance);
        using var cert = PkiDirectory.LoadPair(clientCert.Certificate, clientCert.Key);

        var check = validator.Validate(cert, PeerRole.Server);

        Assert.False(check.Ok);
        Assert.Equal("certificate lacks serverAuth", check.Reason);
    }
}
