using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Runner.V1;
using Strongroom.Storage.V1;
using RunnerApi = Strongroom.Runner.V1.Runner;
using StorageApi = Strongroom.Storage.V1.Storage;

namespace Strongroom.Edge.Tests.Support;

/// <summary>Storage as far as these tests need it: GetJwks (client-facing) and PublishKey (service-to-service).</summary>
public sealed class FakeStorage(BackendRecorder recorder) : StorageApi.StorageBase
{
    public override Task<GetJwksResponse> GetJwks(GetJwksRequest request, ServerCallContext context) =>
        Task.FromResult(new GetJwksResponse { JwksJson = Record(recorder, context) });

    public override Task<LookupKeyResponse> LookupKey(LookupKeyRequest request, ServerCallContext context) =>
        Task.FromResult(new LookupKeyResponse { OwnerIdentity = Record(recorder, context) });

    public override Task<PublishKeyResponse> PublishKey(PublishKeyRequest request, ServerCallContext context)
    {
        Record(recorder, context);
        return Task.FromResult(new PublishKeyResponse());
    }

    internal static string Record(BackendRecorder recorder, ServerCallContext context)
    {
        var caller = context.GetCaller();
        recorder.Calls.Enqueue(new HandledCall(context.Method, caller.Identity.ToString(), caller.Peer.ToString()));
        return caller.Identity.ToString();
    }
}

/// <summary>The runner's client-facing methods, including the server-streaming WatchJob.</summary>
public sealed class FakeRunner(BackendRecorder recorder) : RunnerApi.RunnerBase
{
    /// <summary>A job id whose watch stream sends one update and then stays open until the caller leaves.</summary>
    public const string HeldJob = "held";

    public override Task<SubmitResponse> Submit(SubmitRequest request, ServerCallContext context)
    {
        FakeStorage.Record(recorder, context);
        return Task.FromResult(new SubmitResponse { JobId = "job-1", Status = JobStatus.Queued });
    }

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<WatchJobResponse> responseStream, ServerCallContext context)
    {
        var owner = FakeStorage.Record(recorder, context);
        if (request.JobId == HeldJob)
        {
            await responseStream.WriteAsync(Update(JobStatus.Running));
            await Task.Delay(Timeout.Infinite, context.CancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        foreach (var status in new[] { JobStatus.Queued, JobStatus.Running, JobStatus.Succeeded })
        {
            await responseStream.WriteAsync(Update(status));
        }

        WatchJobResponse Update(JobStatus status) =>
            new() { Job = new Job { JobId = request.JobId, OwnerIdentity = owner, Status = status } };
    }
}

public sealed class FakeStorageAdmin : StorageAdmin.StorageAdminBase;

public sealed class FakeRunnerAdmin : RunnerAdmin.RunnerAdminBase;
