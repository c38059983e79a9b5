using Grpc.Core;
using Strongroom.Edge.Tests.Support;
using Strongroom.Pki;
using Strongroom.Runner.V1;
using Strongroom.Storage.V1;
using Strongroom.Testing;
using RunnerApi = Strongroom.Runner.V1.Runner;
using StorageApi = Strongroom.Storage.V1.Storage;

namespace Strongroom.Edge.Tests;

/// <summary>The edge's side of the backend connection: whom it accepts as the backend, and which certificate it presents.</summary>
public sealed class BackendIdentityTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private TestBackend _storage = null!;

    public async ValueTask InitializeAsync() => _storage = await TestBackend.StartAsync(_pki, WorkloadIdentity.Storage);

    public async ValueTask DisposeAsync()
    {
        await _storage.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task The_edge_refuses_a_backend_whose_certificate_names_another_service()
    {
        // The runner cluster points at a storage server: same CA, valid certificate, wrong service.
        var settings = new EdgeSettings(_pki)
            .Cluster("runner", "runner", _storage.PublicAddress)
            .Route("runner-submit", "runner", EdgeServer.Submit);
        await using var edge = await EdgeServer.StartAsync(settings);
        var alice = new RunnerApi.RunnerClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await alice.SubmitAsync(new SubmitRequest()));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Empty(_storage.Recorder.Requests);
        Assert.Contains("server is spiffe://strongroom/storage, expected spiffe://strongroom/runner", edge.AuditText());
        Assert.Contains("\"action\":\"tls.backend\"", edge.AuditText());
    }

    [Fact]
    public async Task The_edge_refuses_a_backend_whose_certificate_comes_from_a_foreign_ca()
    {
        using var foreign = new TestPki("foreign");
        await using var impostor = await TestBackend.StartAsync(foreign, WorkloadIdentity.Storage);
        var settings = new EdgeSettings(_pki).RouteTo(impostor);
        await using var edge = await EdgeServer.StartAsync(settings);
        var alice = new StorageApi.StorageClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await alice.GetJwksAsync(new GetJwksRequest()));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Empty(impostor.Recorder.Calls);
        Assert.Contains("not issued by the deployment CA", edge.AuditText());
    }

    [Fact]
    public async Task The_edge_presents_its_renewed_certificate_to_backends_without_a_restart()
    {
        var settings = new EdgeSettings(_pki)
            .RouteTo(_storage)
            // Every forwarded call opens a fresh backend connection, so the presented certificate is observable.
            .Set("Edge:Backends:ConnectionLifetime", "00:00:00");
        await using var edge = await EdgeServer.StartAsync(settings);
        var alice = new StorageApi.StorageClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress));

        await alice.GetJwksAsync(new GetJwksRequest());
        var first = _storage.Recorder.Requests.Last().PeerCertificateSerial;
        _pki.Issue(WorkloadIdentity.Edge);
        await alice.GetJwksAsync(new GetJwksRequest());
        var second = _storage.Recorder.Requests.Last().PeerCertificateSerial;

        Assert.NotEqual("", first);
        Assert.NotEqual(first, second);
        Assert.All(_storage.Recorder.Calls, c => Assert.Equal("spiffe://strongroom/edge", c.Peer));
    }
}
