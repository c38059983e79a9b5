using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Edge.Tests.Support;

/// <summary>One PKI, a storage and a runner backend, and an edge routing to them, shared by a test class.</summary>
public sealed class EdgeStack : IAsyncLifetime
{
    public TestPki Pki { get; } = new();

    public TestBackend Storage { get; private set; } = null!;

    public TestBackend Runner { get; private set; } = null!;

    public EdgeServer Edge { get; private set; } = null!;

    /// <summary>Denied in the edge's configuration, to show the deny-list applies at the handshake.</summary>
    public static WorkloadIdentity DeniedClient { get; } = WorkloadIdentity.Client("mallory");

    public async ValueTask InitializeAsync()
    {
        Storage = await TestBackend.StartAsync(Pki, WorkloadIdentity.Storage);
        Runner = await TestBackend.StartAsync(Pki, WorkloadIdentity.Runner);
        Edge = await EdgeServer.StartAsync(new EdgeSettings(Pki).RouteTo(Storage, Runner).Set("Strongroom:DenyList:0", DeniedClient.Path));
    }

    public async ValueTask DisposeAsync()
    {
        await Edge.DisposeAsync();
        await Runner.DisposeAsync();
        await Storage.DisposeAsync();
        Pki.Dispose();
    }
}
