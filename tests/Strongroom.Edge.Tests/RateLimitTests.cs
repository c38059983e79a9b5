using Grpc.Core;
using Strongroom.Edge.Tests.Support;
using Strongroom.Pki;
using Strongroom.Runner.V1;
using Strongroom.Storage.V1;
using Strongroom.Testing;
using RunnerApi = Strongroom.Runner.V1.Runner;
using StorageApi = Strongroom.Storage.V1.Storage;

namespace Strongroom.Edge.Tests;

/// <summary>Per-identity limits: one client's flood is its own problem.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private TestBackend _storage = null!;
    private TestBackend _runner = null!;

    public async ValueTask InitializeAsync()
    {
        _storage = await TestBackend.StartAsync(_pki, WorkloadIdentity.Storage);
        _runner = await TestBackend.StartAsync(_pki, WorkloadIdentity.Runner);
    }

    public async ValueTask DisposeAsync()
    {
        await _runner.DisposeAsync();
        await _storage.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task A_flooding_client_gets_resource_exhausted_while_another_client_is_still_served()
    {
        var settings = new EdgeSettings(_pki).RouteTo(_storage)
            .Set("Edge:RateLimit:TokenLimit", "3")
            .Set("Edge:RateLimit:TokensPerPeriod", "1")
            .Set("Edge:RateLimit:ReplenishmentPeriod", "01:00:00");
        await using var edge = await EdgeServer.StartAsync(settings);
        var alice = new StorageApi.StorageClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress));
        var bob = new StorageApi.StorageClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("bob"), edge.PublicAddress));

        var outcomes = new List<StatusCode>();
        for (var i = 0; i < 8; i++)
        {
            try
            {
                await alice.GetJwksAsync(new GetJwksRequest());
                outcomes.Add(StatusCode.OK);
            }
            catch (RpcException ex)
            {
                outcomes.Add(ex.StatusCode);
            }
        }

        var bobsReply = await bob.GetJwksAsync(new GetJwksRequest());

        Assert.Equal([.. Enumerable.Repeat(StatusCode.OK, 3), .. Enumerable.Repeat(StatusCode.ResourceExhausted, 5)], outcomes);
        Assert.Equal("spiffe://strongroom/client/bob", bobsReply.JwksJson);
        Assert.Equal(3, _storage.Recorder.Calls.Count(c => c.Caller == "spiffe://strongroom/client/alice"));
        // A flood is audited once, not once per refused call.
        Assert.Single(edge.AuditText().Split('\n'), l => l.Contains("RESOURCE_EXHAUSTED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_with_too_many_calls_in_flight_is_refused_more_until_one_ends_while_others_are_served()
    {
        var settings = new EdgeSettings(_pki).RouteTo(_storage, _runner).Set("Edge:RateLimit:ConcurrentRequestLimit", "1");
        await using var edge = await EdgeServer.StartAsync(settings);
        var alice = new RunnerApi.RunnerClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress));
        var bob = new StorageApi.StorageClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("bob"), edge.PublicAddress));
        var aliceStorage = new StorageApi.StorageClient(EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress));

        var held = alice.WatchJob(new WatchJobRequest { JobId = FakeRunner.HeldJob });
        Assert.True(await held.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await aliceStorage.GetJwksAsync(new GetJwksRequest()));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("spiffe://strongroom/client/bob", (await bob.GetJwksAsync(new GetJwksRequest())).JwksJson);

        held.Dispose();
        StatusCode? last = null;
        for (var i = 0; i < 50 && last != StatusCode.OK; i++)
        {
            try
            {
                await aliceStorage.GetJwksAsync(new GetJwksRequest());
                last = StatusCode.OK;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                last = ex.StatusCode;
                await Task.Delay(100);
            }
        }

        Assert.Equal(StatusCode.OK, last);
    }
}
