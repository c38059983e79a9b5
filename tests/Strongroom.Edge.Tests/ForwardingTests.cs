using Grpc.Core;
using Grpc.Health.V1;
using Strongroom.Edge.Tests.Support;
using Strongroom.Hosting.Authorization;
using Strongroom.Pki;
using Strongroom.Runner.V1;
using Strongroom.Storage.V1;
using RunnerApi = Strongroom.Runner.V1.Runner;
using StorageApi = Strongroom.Storage.V1.Storage;

namespace Strongroom.Edge.Tests;

/// <summary>Client calls through the edge to backends built on the hosting library, all on real Kestrel with real certificates.</summary>
public sealed class ForwardingTests(EdgeStack stack) : IClassFixture<EdgeStack>
{
    [Fact]
    public async Task A_client_call_through_the_edge_reaches_the_backend_as_that_client_relayed_by_the_edge()
    {
        var alice = new StorageApi.StorageClient(EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("alice"), stack.Edge.PublicAddress));

        var reply = await alice.GetJwksAsync(new GetJwksRequest());

        Assert.Equal("spiffe://strongroom/client/alice", reply.JwksJson);
        var call = Assert.Single(stack.Storage.Recorder.Calls, c => c.Caller == "spiffe://strongroom/client/alice" && c.Method == EdgeServer.GetJwks);
        Assert.Equal("spiffe://strongroom/edge", call.Peer);
    }

    [Fact]
    public async Task A_client_supplied_identity_header_claiming_another_client_is_replaced_by_the_real_client()
    {
        var carol = new StorageApi.StorageClient(EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("carol"), stack.Edge.PublicAddress));
        var forged = new Metadata
        {
            { RpcAuthorizer.ForwardedIdentityHeader, "spiffe://strongroom/client/bob" },
            { "X-Strongroom-Client-Identity", "spiffe://strongroom/operator/root" },
            { "x-strongroom-anything", "chosen by the caller" },
        };

        var reply = await carol.LookupKeyAsync(new LookupKeyRequest { Kid = "k" }, forged);

        Assert.Equal("spiffe://strongroom/client/carol", reply.OwnerIdentity);
        var arrived = Assert.Single(stack.Storage.Recorder.Requests, r =>
            r.Path == EdgeServer.LookupKey && r.ReservedHeaders.Any(h => h.Value == "spiffe://strongroom/client/carol"));
        var only = Assert.Single(arrived.ReservedHeaders);
        Assert.Equal(RpcAuthorizer.ForwardedIdentityHeader, only.Key);
        Assert.DoesNotContain(stack.Storage.Recorder.Calls, c => c.Caller.EndsWith("/bob", StringComparison.Ordinal) || c.Caller.Contains("operator", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_streaming_call_passes_through_the_edge_message_by_message()
    {
        var dave = new RunnerApi.RunnerClient(EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("dave"), stack.Edge.PublicAddress));

        using var watch = dave.WatchJob(new WatchJobRequest { JobId = "job-7" });
        var updates = new List<Job>();
        await foreach (var update in watch.ResponseStream.ReadAllAsync())
        {
            updates.Add(update.Job);
        }

        Assert.Equal([JobStatus.Queued, JobStatus.Running, JobStatus.Succeeded], updates.Select(j => j.Status));
        Assert.All(updates, j => Assert.Equal("spiffe://strongroom/client/dave", j.OwnerIdentity));
        Assert.Equal(StatusCode.OK, watch.GetStatus().StatusCode);
    }

    [Fact]
    public async Task A_unary_runner_call_reaches_the_runner_backend_not_storage()
    {
        var erin = new RunnerApi.RunnerClient(EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("erin"), stack.Edge.PublicAddress));

        var reply = await erin.SubmitAsync(new SubmitRequest { StudiomlMessage = Google.Protobuf.ByteString.CopyFromUtf8("{}") });

        Assert.Equal("job-1", reply.JobId);
        Assert.Contains(stack.Runner.Recorder.Calls, c => c.Method == EdgeServer.Submit && c.Caller == "spiffe://strongroom/client/erin" && c.Peer == "spiffe://strongroom/edge");
        Assert.Equal(0, stack.Storage.Recorder.RequestsFor(EdgeServer.Submit));
    }

    [Fact]
    public async Task The_edge_serves_grpc_health_for_itself()
    {
        var health = new Health.HealthClient(EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("alice"), stack.Edge.PublicAddress));

        var reply = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        Assert.Equal(0, stack.Storage.Recorder.RequestsFor("/grpc.health.v1.Health/Check"));
        Assert.Equal(0, stack.Runner.Recorder.RequestsFor("/grpc.health.v1.Health/Check"));
    }
}
