using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.Requests;
using Strongroom.Runner.Tests.Support;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using Strongroom.Testing;
using KeyServiceApi = Strongroom.KeyService.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Runner.Tests;

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<RunnerStack>
{
    public const string Name = "stack";
}

/// <summary>Both envelopes end to end through the edge, against every service as a real process with real mTLS.</summary>
[Collection(StackCollection.Name)]
public sealed class EndToEndTests(RunnerStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_hpke_request_runs_in_the_sandbox_and_its_signed_result_opens_only_with_the_requesters_key()
    {
        var input = """{"texts":["a great and helpful model","terrible, slow and wrong"]}"""u8.ToArray();
        var envelope = stack.Envelope(stack.Alice, "score-sentiment", input);
        var submitted = await stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct);
        Assert.Equal(JobStatus.Queued, submitted.Status);

        var states = await stack.WatchAsync("alice", submitted.JobId);
        Assert.Equal(JobStatus.Queued, states[0].Status is JobStatus.Queued or JobStatus.Running ? JobStatus.Queued : states[0].Status);
        var final = states[^1];
        Assert.True(final.Status == JobStatus.Succeeded, $"{final.Status}: {final.Reason}\n{stack.Log}");
        Assert.Equal(RequestDigest.OfEnvelope(envelope), final.RequestDigest.ToByteArray());

        var (document, output, stored) = await stack.FetchVerifiedAsync(stack.Alice, submitted.JobId, RequestDigest.OfEnvelope(envelope));
        Assert.Equal("succeeded", document.Status);
        Assert.Equal("score-sentiment", document.JobName);
        Assert.Contains("\"mean\"", Encoding.UTF8.GetString(output), StringComparison.Ordinal);

        // Storage holds ciphertext only; Bob's sealing key (or the wrong job id as AAD) opens nothing.
        Assert.DoesNotContain("mean", Encoding.UTF8.GetString(stored.Output.Span), StringComparison.Ordinal);
        Assert.ThrowsAny<CryptoException>(() => Hpke.Open(stack.Bob.Sealing, stored.OutputEnc.Span, Hpke.ResultInfo, Encoding.UTF8.GetBytes(submitted.JobId), stored.Output.Span));
        Assert.ThrowsAny<CryptoException>(() => Hpke.Open(stack.Alice.Sealing, stored.OutputEnc.Span, Hpke.ResultInfo, "job-other"u8, stored.Output.Span));

        // Nobody else sees the job or the result; ids leak nothing.
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => stack.RunnerThroughEdge("bob").GetJobAsync(new GetJobRequest { JobId = submitted.JobId }, cancellationToken: Ct).ResponseAsync)).StatusCode);
        var bobStorage = new StorageApi.Storage.StorageClient(stack.ThroughEdge("bob"));
        var refused = await Assert.ThrowsAsync<RpcException>(() => bobStorage.GetResultAsync(new StorageApi.GetResultRequest { JobId = submitted.JobId }, cancellationToken: Ct).ResponseAsync);
        Assert.Contains(refused.StatusCode, new[] { StatusCode.NotFound, StatusCode.PermissionDenied });
    }

    [Theory]
    [InlineData("envelope-1-raw-signature.json", "request-1.json", "exp-0001")]
    [InlineData("envelope-2-ssh-wire-signature.json", "request-2.json", "exp-0002")]
    public async Task The_studioml_fixtures_execute_with_their_request_as_input(string envelopeFile, string requestFile, string experiment)
    {
        var message = await File.ReadAllBytesAsync(RepoPaths.TestData("fixtures", "studioml", envelopeFile), Ct);
        var submitted = await stack.RunnerThroughEdge("demo").SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken: Ct);
        var final = (await stack.WatchAsync("demo", submitted.JobId))[^1];
        Assert.True(final.Status == JobStatus.Succeeded, $"{final.Status}: {final.Reason}\n{stack.Log}");
        Assert.Equal(RequestFormat.Studioml, final.Format);

        var (document, output, _) = await stack.FetchVerifiedAsync(stack.Demo, submitted.JobId, RequestDigest.OfStudioMl(message));
        Assert.Equal("studioml", document.Format);
        var summary = Encoding.UTF8.GetString(output);
        Assert.Contains(experiment, summary, StringComparison.Ordinal);
        var request = await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", requestFile), Ct);
        Assert.Contains(experiment, request, StringComparison.Ordinal);

        // The same message again is a replay (key: SHA-256 of the payload), refused before anything is decrypted.
        var replay = await Assert.ThrowsAsync<RpcException>(() => stack.RunnerThroughEdge("demo").SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, replay.StatusCode);
    }

    [Fact]
    public async Task The_bad_signature_fixture_is_rejected_before_keyservice_is_ever_asked()
    {
        var unwrapsBefore = stack.KeyServiceAuditCount("UnwrapMessageKey");
        var message = await File.ReadAllBytesAsync(RepoPaths.TestData("fixtures", "studioml", "envelope-bad-signature.json"), Ct);
        var refused = await Assert.ThrowsAsync<RpcException>(() => stack.RunnerThroughEdge("demo").SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("signature", refused.Status.Detail, StringComparison.Ordinal);
        await Task.Delay(1000, Ct);
        Assert.Equal(unwrapsBefore, stack.KeyServiceAuditCount("UnwrapMessageKey"));
    }

    [Fact]
    public async Task A_job_runs_sandboxed_without_network_runner_processes_secrets_or_the_runners_files()
    {
        var envelope = stack.Envelope(stack.Alice, "probe", [1]);
        var submitted = await stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct);
        var final = (await stack.WatchAsync("alice", submitted.JobId))[^1];
        Assert.True(final.Status == JobStatus.Succeeded, $"{final.Status}: {final.Reason}");
        var (_, output, _) = await stack.FetchVerifiedAsync(stack.Alice, submitted.JobId, RequestDigest.OfEnvelope(envelope));
        var facts = Encoding.UTF8.GetString(output).Split('\n').Where(l => l.Contains('=', StringComparison.Ordinal)).ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim());
        var runnerPid = stack.Stack.ProcessOf(ServiceSpec.Runner).Id;
        Assert.NotEqual(File.ResolveLinkTarget($"/proc/{runnerPid}/ns/pid", false)!.LinkTarget, facts["pidns"]);
        Assert.NotEqual(File.ResolveLinkTarget($"/proc/{runnerPid}/ns/net", false)!.LinkTarget, facts["netns"]);
        Assert.Equal("lo", facts["ifaces"]);
        Assert.DoesNotContain(runnerPid.ToString(System.Globalization.CultureInfo.InvariantCulture), facts["pids"].Split(' '));
        Assert.All(facts["pids"].Split(' ', StringSplitOptions.RemoveEmptyEntries), p => Assert.True(int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) < 10));
        Assert.Equal("HOME LANG PATH PWD TMPDIR", facts["env"]);
        var text = Encoding.UTF8.GetString(output);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        Assert.Contains("No such file", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_past_its_timeout_is_killed_and_its_failure_is_signed_and_stored()
    {
        var envelope = stack.Envelope(stack.Alice, "slow-runner", [1]);
        var submitted = await stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct);
        var final = (await stack.WatchAsync("alice", submitted.JobId))[^1];
        Assert.Equal(JobStatus.Failed, final.Status);
        var (document, _, _) = await stack.FetchVerifiedAsync(stack.Alice, submitted.JobId, RequestDigest.OfEnvelope(envelope));
        Assert.True(document.TimedOut);
        Assert.Equal("failed", document.Status);
    }
}
