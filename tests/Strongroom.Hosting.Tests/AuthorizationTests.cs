using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Hosting.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Testing.V1;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Tests;

/// <summary>Per-RPC authorization by caller identity against the configured policy table.</summary>
public sealed class AuthorizationTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private ProbeServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await ProbeServer.StartAsync(_pki);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _pki.Dispose();
    }

    [Theory]
    [InlineData("runner")]
    [InlineData("operator/alice")]
    public async Task An_allowed_identity_succeeds(string identity)
    {
        var client = ProbeClients.Create(_pki, WorkloadIdentity.ParseShort(identity), _server.PublicAddress);

        var reply = await client.PingAsync(new PingRequest());

        Assert.Equal(WorkloadIdentity.ParseShort(identity).ToString(), reply.Caller);
    }

    [Theory]
    [InlineData("keyservice")]
    [InlineData("signer")]
    [InlineData("kms")]
    [InlineData("edge")]
    [InlineData("client/alice")]
    public async Task Every_other_identity_gets_permission_denied(string identity)
    {
        var client = ProbeClients.Create(_pki, WorkloadIdentity.ParseShort(identity), _server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("\"outcome\":\"PERMISSION_DENIED\"", _server.AuditText());
    }

    [Fact]
    public async Task An_admin_method_is_refused_on_the_public_listener_even_to_an_operator()
    {
        var client = ProbeClients.Create(_pki, WorkloadIdentity.Operator("alice"), _server.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.AdminPingAsync(new PingRequest()));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("admin listener", ex.Status.Detail);
    }

    [Fact]
    public async Task An_admin_method_on_the_admin_listener_serves_an_operator_only()
    {
        var op = ProbeClients.Create(_pki, WorkloadIdentity.Operator("alice"), _server.AdminAddress);
        var runner = ProbeClients.Create(_pki, WorkloadIdentity.Runner, _server.AdminAddress);

        var reply = await op.AdminPingAsync(new PingRequest());
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await runner.AdminPingAsync(new PingRequest()));

        Assert.Equal("spiffe://strongroom/operator/alice", reply.Caller);
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
    }

    [Fact]
    public async Task The_edge_claiming_an_operator_identity_is_refused_on_admin_methods()
    {
        var edge = ProbeClients.Create(_pki, WorkloadIdentity.Edge, _server.AdminAddress);
        var headers = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, "spiffe://strongroom/operator/alice" } };

        var forwarded = await Assert.ThrowsAsync<RpcException>(async () => await edge.AdminPingAsync(new PingRequest(), headers));
        var direct = await Assert.ThrowsAsync<RpcException>(async () => await edge.AdminPingAsync(new PingRequest()));

        Assert.Equal(StatusCode.PermissionDenied, forwarded.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, direct.StatusCode);
    }

    [Fact]
    public async Task The_edge_relays_a_client_identity_on_a_client_facing_method()
    {
        var edge = ProbeClients.Create(_pki, WorkloadIdentity.Edge, _server.PublicAddress);
        var headers = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, "spiffe://strongroom/client/alice" } };

        var reply = await edge.ClientPingAsync(new PingRequest(), headers);

        Assert.Equal("spiffe://strongroom/client/alice", reply.Caller);
        Assert.Equal("spiffe://strongroom/edge", reply.Peer);
    }

    [Fact]
    public async Task The_edge_cannot_relay_a_non_client_identity_or_relay_on_a_non_client_facing_method()
    {
        var edge = ProbeClients.Create(_pki, WorkloadIdentity.Edge, _server.PublicAddress);
        var asRunner = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, "spiffe://strongroom/runner" } };
        var asClient = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, "spiffe://strongroom/client/alice" } };

        var runner = await Assert.ThrowsAsync<RpcException>(async () => await edge.ClientPingAsync(new PingRequest(), asRunner));
        var notClientFacing = await Assert.ThrowsAsync<RpcException>(async () => await edge.PingAsync(new PingRequest(), asClient));
        var noHeader = await Assert.ThrowsAsync<RpcException>(async () => await edge.ClientPingAsync(new PingRequest()));

        Assert.Equal(StatusCode.PermissionDenied, runner.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, notClientFacing.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, noHeader.StatusCode);
    }

    [Fact]
    public async Task A_forged_identity_header_from_a_client_is_not_believed()
    {
        var mallory = ProbeClients.Create(_pki, WorkloadIdentity.Client("mallory"), _server.PublicAddress);
        var forged = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, "spiffe://strongroom/client/alice" } };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await mallory.ClientPingAsync(new PingRequest(), forged));
        var honest = await mallory.ClientPingAsync(new PingRequest());

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("spiffe://strongroom/client/mallory", honest.Caller);
    }

    [Fact]
    public async Task Health_answers_any_authenticated_caller()
    {
        var invoker = MtlsChannelFactory.Create(
            new DownstreamOptions { Address = _server.PublicAddress, Identity = "storage" },
            new ReloadingCertificate(_pki.Issue(WorkloadIdentity.Client("alice")).Certificate, _pki.Directory.KeyPath(WorkloadIdentity.Client("alice")), TimeSpan.Zero),
            new PeerCertificateValidator(new TrustAnchor(_pki.CaFile, TimeSpan.Zero), EmptyDenyList.Instance));
        var health = new Grpc.Health.V1.Health.HealthClient(invoker);

        var reply = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
