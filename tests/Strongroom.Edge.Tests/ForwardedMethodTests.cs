using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Edge.Routing;
using Strongroom.Edge.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Edge.Tests;

/// <summary>
/// Methods beyond the client-facing set: no setting opens one; a host composing the edge in code can
/// add one (<see cref="ForwardedMethod"/>), and then exactly that method opens, as a router.
/// </summary>
public sealed class ForwardedMethodTests : IDisposable
{
    private const string Empty = "/example.extra.v1.Extra/Empty";
    private const string Other = "/example.extra.v1.Extra/Other";

    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static WebApplication Build(EdgeSettings settings, string environment, params ForwardedMethod[] additional)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.Values);
        builder.Logging.ClearProviders();
        builder.AddStrongroomEdge();
        foreach (var method in additional)
        {
            builder.Services.AddSingleton(method);
        }

        var app = builder.Build();
        app.MapStrongroomEdge();
        return app;
    }

    private static string StartRefused(EdgeSettings settings, params ForwardedMethod[] additional)
    {
        var ex = Assert.ThrowsAny<Exception>(() =>
        {
            var app = Build(settings, "Development", additional);
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

    private static EdgeSettings ExtraRoute(EdgeSettings settings, string address) =>
        settings.Cluster("extra", "signer", address).Route("extra-empty", "extra", Empty);

    [Theory]
    [InlineData(Empty)]
    [InlineData("/strongroom.bench.v1.Bench/Empty")]
    public async Task Without_a_host_added_method_a_method_beyond_the_client_facing_set_is_unimplemented_and_reaches_no_backend(string path)
    {
        await using var storage = await TestBackend.StartAsync(_pki, WorkloadIdentity.Storage);
        await using var edge = await EdgeServer.StartAsync(new EdgeSettings(_pki).RouteTo(storage));
        var alice = EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), edge.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(() => EdgeClients.CallAsync(alice, path));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Empty(storage.Recorder.Requests);
    }

    [Fact]
    public void A_configured_route_to_a_method_beyond_the_client_facing_set_stops_the_edge_whatever_else_is_configured()
    {
        // The settings that once opened the benchmark route are inert now: no setting adds a method.
        var settings = ExtraRoute(new EdgeSettings(_pki), "https://127.0.0.1:7406")
            .Set("Edge:Bench:Enabled", "true")
            .Set("Edge:Bench:Identity", "signer");

        var refusal = StartRefused(settings);

        Assert.Contains($"names '{Empty}', which is not a client-facing method", refusal);
    }

    [Theory]
    [InlineData("/strongroom.signer.v1.Signer/Sign")]
    [InlineData("/strongroom.signer.v1.Signer/SignCheckpoint")]
    [InlineData(Other)]
    public void A_host_added_method_opens_only_itself_and_nothing_else_of_that_backend(string path)
    {
        var settings = ExtraRoute(new EdgeSettings(_pki), "https://127.0.0.1:7406").Route("sneaky", "extra", path);

        var refusal = StartRefused(settings, new ForwardedMethod(Empty, WorkloadIdentity.Signer));

        Assert.Contains($"route 'sneaky' names '{path}', which is not a client-facing method", refusal);
    }

    [Theory]
    [InlineData("/strongroom.runner.v1.Runner/Submit", "signer", "is already routable")]
    [InlineData(Empty, "client/alice", "must name a service backend")]
    [InlineData("example.extra.v1.Extra/Empty", "signer", "must be a full gRPC path")]
    [InlineData("/example.extra.v1.Extra/", "signer", "must be a full gRPC path")]
    public void A_host_cannot_re_point_a_client_facing_method_or_add_a_malformed_or_non_service_one(string path, string backend, string refusal)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new RoutableMethods([new ForwardedMethod(path, WorkloadIdentity.ParseShort(backend))]));

        Assert.Contains(refusal, ex.Message);
    }

    [Fact]
    public async Task A_host_added_method_is_forwarded_as_a_router_with_the_client_identity_relayed()
    {
        await using var backend = await TestBackend.StartAsync(_pki, WorkloadIdentity.Signer);
        var settings = ExtraRoute(new EdgeSettings(_pki), backend.PublicAddress);
        await using var app = Build(settings, "Development", new ForwardedMethod(Empty, WorkloadIdentity.Signer));
        await app.StartAsync();
        var alice = EdgeClients.Create(_pki, WorkloadIdentity.Client("alice"), $"https://127.0.0.1:{settings.PublicPort}");

        // The test backend does not serve the method; what matters is what arrived there.
        await Assert.ThrowsAsync<RpcException>(() => EdgeClients.CallAsync(alice, Empty));

        var arrived = Assert.Single(backend.Recorder.Requests, r => r.Path == Empty);
        var relayed = Assert.Single(arrived.ReservedHeaders);
        Assert.Equal("spiffe://strongroom/client/alice", relayed.Value);
        await app.StopAsync();
    }
}
