using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Strongroom.Hosting.Authorization;
using Strongroom.Pki;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Signer.Tests.Support;

/// <summary>
/// A TEST DOUBLE of the remote storage service — not services/storage: a real gRPC server on real
/// Kestrel with storage's mTLS identity, implementing only PublishKey and PublishKeyEvent by
/// recording what arrives (in order, with the authenticated caller). It exists so the signer's
/// outbox can be tested while storage is written concurrently.
/// </summary>
public sealed class FakeStorage : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeStorage(WebApplication app) => _app = app;

    public Recorder Received => _app.Services.GetRequiredService<Recorder>();

    public static async Task<FakeStorage> StartAsync(SignerStack stack, int port, Func<StorageApi.PublishKeyRequest, StatusCode?>? refuse = null)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var method in StorageApi.Storage.Descriptor.Methods)
        {
            settings[$"Strongroom:Policy:/{StorageApi.Storage.Descriptor.FullName}/{method.Name}:Allow:0"] = "signer";
        }

        var app = stack.Build("storage", WorkloadIdentity.Storage, port, null, settings,
            b => b.Services.AddSingleton(new Recorder(refuse)),
            a => a.MapGrpcService<Service>(),
            useServiceSettings: false);
        await app.StartAsync();
        return new FakeStorage(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed class Recorder(Func<StorageApi.PublishKeyRequest, StatusCode?>? refuse)
    {
        public ConcurrentQueue<(string Caller, object Request)> Calls { get; } = new();

        public Func<StorageApi.PublishKeyRequest, StatusCode?>? Refuse { get; } = refuse;
    }

    private sealed class Service(Recorder recorder) : StorageApi.Storage.StorageBase
    {
        public override Task<StorageApi.PublishKeyResponse> PublishKey(StorageApi.PublishKeyRequest request, ServerCallContext context)
        {
            if (recorder.Refuse?.Invoke(request) is { } status)
            {
                throw new RpcException(new Status(status, "refused by the test double"));
            }

            recorder.Calls.Enqueue((context.GetCaller().Identity.ToString(), request));
            return Task.FromResult(new StorageApi.PublishKeyResponse { Created = true });
        }

        public override Task<StorageApi.PublishKeyEventResponse> PublishKeyEvent(StorageApi.PublishKeyEventRequest request, ServerCallContext context)
        {
            recorder.Calls.Enqueue((context.GetCaller().Identity.ToString(), request));
            return Task.FromResult(new StorageApi.PublishKeyEventResponse { Created = true });
        }
    }
}
