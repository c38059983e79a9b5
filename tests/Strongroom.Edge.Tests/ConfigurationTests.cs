using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Strongroom.Edge.Tests.Support;
using Strongroom.Pki;
using Strongroom.Storage.V1;
using Strongroom.Testing;
using StorageApi = Strongroom.Storage.V1.Storage;

namespace Strongroom.Edge.Tests;

/// <summary>Configuration chooses among compiled client-facing methods; it can never open anything else.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private const string StorageAddress = "https://127.0.0.1:7404";

    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static string Refusal(Action start)
    {
        var ex = Assert.ThrowsAny<Exception>(start);
        var messages = new List<string>();
        for (var stack = new Stack<Exception>([ex]); stack.Count > 0;)
        {
            var e = stack.Pop();
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                aggregate.InnerExceptions.ToList().ForEach(stack.Push);
            }
            else if (e.InnerException is not null)
            {
                stack.Push(e.InnerException);
            }
        }

        return string.Join(" | ", messages);
    }

    private static void Start(EdgeSettings settings)
    {
        var app = EdgeServer.Build(settings);
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
            ((IDisposable)app).Dispose();
        }
    }

    [Theory]
    [InlineData("/strongroom.storage.v1.Storage/PublishKey")]
    [InlineData("/strongroom.storage.v1.Storage/PutResult")]
    [InlineData("/strongroom.storage.v1.Storage/RegisterClient")]
    [InlineData("/strongroom.storage.v1.StorageAdmin/RevokeClientKey")]
    [InlineData("/strongroom.audit.v1.AuditLog/GetAuditHead")]
    [InlineData("/strongroom.storage.v1.Storage/{method}")]
    [InlineData("/{**catch-all}")]
    [InlineData("/strongroom.storage.v1.storage/getjwks")]
    public void A_route_naming_a_method_that_is_not_client_facing_stops_the_edge_from_starting(string path)
    {
        var settings = new EdgeSettings(_pki).Cluster("storage", "storage", StorageAddress).Route("sneaky", "storage", path);

        var refusal = Refusal(() => Start(settings));

        Assert.Contains($"route 'sneaky' names '{path}', which is not a client-facing method", refusal);
    }

    [Theory]
    [InlineData("/google.cloud.kms.v1.KeyManagementService/Decrypt", "kms")]
    [InlineData("/strongroom.keyservice.v1.KeyService/UnwrapMessageKey", "keyservice")]
    [InlineData("/strongroom.keyservice.v1.KeyServiceAdmin/ImportKey", "keyservice")]
    [InlineData("/strongroom.keyadmin.v1.KeyAdmin/CreateKey", "keyservice")]
    [InlineData("/strongroom.keyadmin.v1.KeyAdmin/ScheduleDestroyKeyVersion", "signer")]
    [InlineData("/strongroom.signer.v1.SignerAdmin/GetLogKey", "signer")]
    [InlineData("/strongroom.signer.v1.Signer/Sign", "signer")]
    [InlineData("/strongroom.runner.v1.RunnerAdmin/CancelJob", "runner")]
    public void A_route_to_an_admin_kms_or_service_to_service_method_stops_the_edge_from_starting(string path, string service)
    {
        var settings = new EdgeSettings(_pki)
            .Cluster(service, service, "https://127.0.0.1:7400")
            .Route("sneaky", service, path);

        var refusal = Refusal(() => Start(settings));

        Assert.Contains("refusing the edge's proxy configuration", refusal);
    }

    [Fact]
    public void A_route_without_a_path_which_would_match_every_path_stops_the_edge_from_starting()
    {
        var settings = new EdgeSettings(_pki)
            .Cluster("storage", "storage", StorageAddress)
            .Set("ReverseProxy:Routes:everything:ClusterId", "storage")
            .Set("ReverseProxy:Routes:everything:Match:Hosts:0", "edge.example");

        var refusal = Refusal(() => Start(settings));

        Assert.Contains("route 'everything' names '(every path)', which is not a client-facing method", refusal);
    }

    [Fact]
    public void A_route_sending_a_method_to_a_cluster_of_another_service_stops_the_edge_from_starting()
    {
        var settings = new EdgeSettings(_pki)
            .Cluster("runner", "runner", "https://127.0.0.1:7405")
            .Route("jwks", "runner", EdgeServer.GetJwks);

        var refusal = Refusal(() => Start(settings));

        Assert.Contains("it is served by spiffe://strongroom/storage", refusal);
    }

    [Theory]
    [InlineData(null, StorageAddress, "has no Metadata:Identity")]
    [InlineData("kms", StorageAddress, "serves no client-facing method")]
    [InlineData("edge", StorageAddress, "serves no client-facing method")]
    [InlineData("operator/root", StorageAddress, "serves no client-facing method")]
    [InlineData("not an identity", StorageAddress, "is not a workload identity")]
    [InlineData("storage", "http://127.0.0.1:7404", "is not an https:// address")]
    public void A_cluster_without_a_verifiable_backend_identity_over_tls_stops_the_edge_from_starting(string? identity, string address, string problem)
    {
        var settings = new EdgeSettings(_pki).Cluster("storage", identity, address).Route("jwks", "storage", EdgeServer.GetJwks);

        var refusal = Refusal(() => Start(settings));

        Assert.Contains(problem, refusal);
    }

    [Fact]
    public void A_cluster_that_accepts_any_server_certificate_stops_the_edge_from_starting()
    {
        var settings = new EdgeSettings(_pki)
            .Cluster("storage", "storage", StorageAddress)
            .Route("jwks", "storage", EdgeServer.GetJwks)
            .Set("ReverseProxy:Clusters:storage:HttpClient:DangerousAcceptAnyServerCertificate", "true");

        var refusal = Refusal(() => Start(settings));

        Assert.Contains("may not accept any server certificate", refusal);
    }

    [Fact]
    public void A_route_with_configured_transforms_which_could_set_the_relayed_identity_stops_the_edge_from_starting()
    {
        var settings = new EdgeSettings(_pki)
            .Cluster("storage", "storage", StorageAddress)
            .Route("jwks", "storage", EdgeServer.GetJwks)
            .Set("ReverseProxy:Routes:jwks:Transforms:0:RequestHeader", "x-strongroom-client-identity")
            .Set("ReverseProxy:Routes:jwks:Transforms:0:Set", "spiffe://strongroom/client/bob");

        var refusal = Refusal(() => Start(settings));

        Assert.Contains("may not configure transforms", refusal);
    }

    [Fact]
    public void The_development_configuration_routes_only_client_facing_methods_and_the_edge_accepts_it()
    {
        var settings = new EdgeSettings(_pki);
        var dev = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepoPaths.Root, "services", "edge", "appsettings.json"))
            .Build();
        foreach (var (key, value) in dev.GetSection("ReverseProxy").AsEnumerable())
        {
            settings.Set(key, value);
        }

        var app = EdgeServer.Build(settings);
        ((IDisposable)app).Dispose();

        var routed = dev.GetSection("ReverseProxy:Routes").GetChildren().Select(r => r["Match:Path"] ?? "").ToHashSet();
        Assert.Equal(Routing.ClientFacingMethods.All.Keys.ToHashSet(), routed);
    }

    [Fact]
    public async Task A_reloaded_configuration_that_opens_a_service_to_service_method_is_rejected_and_the_previous_routes_stay()
    {
        await using var storage = await TestBackend.StartAsync(_pki, WorkloadIdentity.Storage);
        await using var edge = await EdgeServer.StartAsync(new EdgeSettings(_pki).RouteTo(storage));
        var alice = EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress);
        const string publishKey = "/strongroom.storage.v1.Storage/PublishKey";

        edge.Reconfigure(new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:publish:ClusterId"] = "storage",
            ["ReverseProxy:Routes:publish:Match:Path"] = publishKey,
        });
        for (var i = 0; i < 50 && !edge.Logs.Lines.Any(l => l.Contains(publishKey, StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
        }

        Assert.Contains(edge.Logs.Lines, l => l.Contains($"route 'publish' names '{publishKey}', which is not a client-facing method", StringComparison.Ordinal));
        var ex = await Assert.ThrowsAsync<RpcException>(() => EdgeClients.CallAsync(alice, publishKey));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Equal(0, storage.Recorder.RequestsFor(publishKey));
        var reply = await new StorageApi.StorageClient(alice).GetJwksAsync(new GetJwksRequest());
        Assert.Equal("spiffe://strongroom/client/alice", reply.JwksJson);
    }
}
