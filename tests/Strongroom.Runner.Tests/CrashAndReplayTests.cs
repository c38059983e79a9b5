using Google.Protobuf;
using Grpc.Core;
using Strongroom.Requests;
using Strongroom.Runner.Tests.Support;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using Strongroom.Testing;
using KeyServiceApi = Strongroom.KeyService.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Runner.Tests;

/// <summary>What a compromised or crashing runner can and cannot do.</summary>
[Collection(StackCollection.Name)]
public sealed class CrashAndReplayTests(RunnerStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_runner_identity_replaying_a_processed_envelope_straight_to_keyservice_is_refused()
    {
        var envelope = stack.Envelope(stack.Alice, "cat", "captured"u8.ToArray());
        var submitted = await stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct);
        var final = (await stack.WatchAsync("alice", submitted.JobId))[^1];
        Assert.Equal(JobStatus.Succeeded, final.Status);

        // The runner's own certificate, calling keyservice directly, as a compromised runner would.
        var keyService = stack.KeyServiceDirect("runner");
        var hpke = await Assert.ThrowsAsync<RpcException>(() => keyService.DecapsulateAsync(new KeyServiceApi.DecapsulateRequest { Envelope = envelope, ClientIdentity = stack.Alice.Identity }, cancellationToken: Ct).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, hpke.StatusCode);
        Assert.Contains(hpke.StatusCode, new[] { StatusCode.FailedPrecondition, StatusCode.PermissionDenied, StatusCode.ResourceExhausted, StatusCode.AlreadyExists });

        // StudioML: a fresh message by the fixture client (the fixtures themselves belong to the end-to-end tests).
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "studioml_message.pub.pem"), Ct));
        var message = Strongroom.Client.RequestBuilder.BuildStudioMl(rsa, stack.Demo.Signing, """{"experiment":{"key":"replayed"}}"""u8);
        var job = await stack.RunnerThroughEdge("demo").SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken: Ct);
        Assert.Equal(JobStatus.Succeeded, (await stack.WatchAsync("demo", job.JobId))[^1].Status);

        var json = System.Text.Json.JsonDocument.Parse(message).RootElement.GetProperty("message");
        var studioml = await Assert.ThrowsAsync<RpcException>(() => keyService.UnwrapMessageKeyAsync(new KeyServiceApi.UnwrapMessageKeyRequest
        {
            KeyName = "studioml",
            Payload = json.GetProperty("payload").GetString(),
            Fingerprint = json.GetProperty("fingerprint").GetString(),
            Signature = json.GetProperty("signature").GetString(),
            ClientIdentity = stack.Demo.Identity,
        }, cancellationToken: Ct).ResponseAsync);
        Assert.Contains(studioml.StatusCode, new[] { StatusCode.FailedPrecondition, StatusCode.PermissionDenied, StatusCode.ResourceExhausted, StatusCode.AlreadyExists });
    }

    [Fact]
    public async Task After_kill_9_of_the_runner_every_accepted_job_ends_once_and_none_is_lost()
    {
        var runner = stack.RunnerThroughEdge("alice");
        var jobs = new List<(string Id, byte[] Digest)>();
        for (var i = 0; i < 4; i++)
        {
            var envelope = stack.Envelope(stack.Alice, "sleep", [(byte)i]);
            jobs.Add(((await runner.SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct)).JobId, RequestDigest.OfEnvelope(envelope)));
        }

        // Wait until one is running (the others queued), then SIGKILL the real runner process.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await runner.GetJobAsync(new GetJobRequest { JobId = jobs[0].Id }, cancellationToken: Ct)).Job.Status != JobStatus.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first job never started");
            await Task.Delay(100, Ct);
        }

        await stack.Stack.KillAsync(ServiceSpec.Runner);
        stack.Stack.Start(ServiceSpec.Runner);
        Assert.True(await stack.Stack.WaitHealthyAsync(ServiceSpec.Runner, TimeSpan.FromSeconds(60), Ct), stack.Log);

        foreach (var (id, digest) in jobs)
        {
            var final = (await stack.WatchAsync("alice", id, TimeSpan.FromSeconds(120)))[^1];
            Assert.True(final.Status == JobStatus.Succeeded, $"{id}: {final.Status} {final.Reason}");
            Assert.InRange(final.Attempts, 1u, 2u);
            var (document, output, _) = await stack.FetchVerifiedAsync(stack.Alice, id, digest);
            Assert.Equal("slept\n", System.Text.Encoding.UTF8.GetString(output));
            Assert.Equal(id, document.JobId);
        }

        // Exactly one stored result per job: storage never received a second, different result for any of them.
        var listed = await stack.StorageDirect("operator/admin").ListResultsAsync(new StorageApi.ListResultsRequest { OwnerIdentity = stack.Alice.Identity, PageSize = 500 }, cancellationToken: Ct);
        foreach (var (id, _) in jobs)
        {
            Assert.Single(listed.Results, r => r.JobId == id);
        }

        var queueJobs = await stack.RunnerAdmin().ListJobsAsync(new ListJobsRequest { OwnerIdentity = stack.Alice.Identity, PageSize = 500 }, cancellationToken: Ct);
        foreach (var (id, _) in jobs)
        {
            Assert.Equal(JobStatus.Succeeded, Assert.Single(queueJobs.Jobs, j => j.JobId == id).Status);
        }
    }

}
