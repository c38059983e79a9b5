using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Strongroom.Edge.Routing;
using Strongroom.Edge.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Edge.Tests;

/// <summary>
/// The benchmark's route to its baseline server (Edge:Bench): off unless configured, refused outside
/// Development, and even when on it opens only the bench server's two methods.
/// </summary>
public sealed class BenchRouteTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static WebApplication Build(EdgeSettings settings, string environment)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.Values);
        builder.Logging.ClearProviders();
        builder.AddStrongroomEdge();
        var app = builder.Build();
        app.MapStrongroomEdge();
        return app;
    }

    private static string StartRefused(EdgeSettings settings, string environment)
    {
        var ex = Assert.ThrowsAny<Exception>(() =>
        {
            var app = Build(settings, environment);
            try
            {
                app.StartAsync().GetAwaiter().GetResult();
            }
            finally
            {
                app.StopAsync().GetAwaiter().GetResult();
                ((IDisposable)app).Dispose();
            }
        });
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message + " " + i.InnerException?.Message));
            }
        }

        return string.Join(" | ", messages);
    }

    private static EdgeSettings BenchRoutes(EdgeSettings settings, string address) =>
        settings.Cluster("bench", "signer", address)
            .Route("bench-empty", "bench", RoutableMethods.BenchEmpty)
            .Route("bench-commit", "bench", RoutableMethods.BenchCommit);

    [Theory]
    [InlineData(RoutableMethods.BenchEmpty)]
    [InlineData(RoutableMethods.BenchCommit)]
    public async Task Without_configuration_a_bench_method_is_answered_unimplemented_by_the_edge_and_reaches_no_backend(string path)
    {
        await using var storage = await TestBackend.StartAsync(_pki, WorkloadIdentity.Storage);
        await using var edge = await EdgeServer.StartAsync(new EdgeSettings(_pki).RouteTo(storage));
        var alice = EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(() => EdgeClients.CallAsync(alice, path));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Empty(storage.Recorder.Requests);
    }

    [Fact]
    public void A_route_to_the_bench_server_without_the_bench_switch_stops_the_edge_from_starting()
    {
        var settings = BenchRoutes(new EdgeSettings(_pki), "https://127.0.0.1:7406");

        var refusal = StartRefused(settings, "Development");

        Assert.Contains($"names '{RoutableMethods.BenchEmpty}', which is not a client-facing method", refusal);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void The_bench_switch_is_refused_outside_the_development_environment(string environment)
    {
        var settings = BenchRoutes(new EdgeSettings(_pki), "https://127.0.0.1:7406")
            .Set("Edge:Bench:Enabled", "true")
            .Set("Edge:Bench:Identity", "signer");

        var refusal = StartRefused(settings, environment);

        Assert.Contains($"refused in the {environment} environment", refusal);
    }

    [Theory]
    [InlineData("/strongroom.signer.v1.Signer/Sign")]
    [InlineData("/strongroom.signer.v1.Signer/SignCheckpoint")]
    [InlineData("/strongroom.bench.v1.Bench/Other")]
    public void With_the_bench_switch_only_the_two_bench_methods_open_and_nothing_else_of_that_backend(string path)
    {
        var settings = BenchRoutes(new EdgeSettings(_pki), "https://127.0.0.1:7406")
            .Route("sneaky", "bench", path)
            .Set("Edge:Bench:Enabled", "true")
            .Set("Edge:Bench:Identity", "signer");

        var refusal = StartRefused(settings, "Development");

        Assert.Contains($"route 'sneaky' names '{path}', which is not a client-facing method", refusal);
    }

    [Fact]
    public async Task With_the_bench_switch_a_bench_call_is_forwarded_as_a_router_with_the_client_identity_relayed()
    {
        await using var bench = await TestBackend.StartAsync(_pki, WorkloadIdentity.Signer);
        var settings = BenchRoutes(new EdgeSettings(_pki), bench.PublicAddress)
            .Set("Edge:Bench:Enabled", "true")
            .Set("Edge:Bench:Identity", "signer");
        await using var app = Build(settings, "Development");
        await app.StartAsync();
        var alice = EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), $"https://127.0.0.1:{settings.PublicPort}");

        // The test backend does not serve the bench service; what matters is what arrived there.
        await Assert.ThrowsAsync<RpcException>(() => EdgeClients.CallAsync(alice, RoutableMethods.BenchEmpty));

        var arrived = Assert.Single(bench.Recorder.Requests, r => r.Path == RoutableMethods.BenchEmpty);
        var relayed = Assert.Single(arrived.ReservedHeaders);
        Assert.Equal("spiffe://strongroom/client/alice", relayed.Value);
        await app.StopAsync();
    }
}
