using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.Runner.Tests.Support;
using Strongroom.Runner.V1;
using Strongroom.Testing;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Runner.Tests;

/// <summary>Every refusal has a clear status and reason, and nothing is queued or run.</summary>
[Collection(StackCollection.Name)]
public sealed class RejectionTests(RunnerStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<int> JobCountAsync() =>
        (await stack.RunnerAdmin().ListJobsAsync(new ListJobsRequest { PageSize = 500 }, cancellationToken: Ct)).Jobs.Count;

    /// <summary>Submits and returns the refusal, asserting no job was recorded.</summary>
    private async Task<RpcException> RefusedAsync(string client, SubmitRequest request)
    {
        var before = await JobCountAsync();
        var refused = await Assert.ThrowsAsync<RpcException>(() => stack.RunnerThroughEdge(client).SubmitAsync(request, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(before, await JobCountAsync());
        Assert.DoesNotContain("   at ", refused.Status.Detail, StringComparison.Ordinal);
        return refused;
    }

    private static async Task<JsonObject> FixtureAsync() =>
        JsonNode.Parse(await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "envelope-1-raw-signature.json"), Ct))!.AsObject();

    private static SubmitRequest StudioMl(JsonObject message) => new() { StudiomlMessage = ByteString.CopyFromUtf8(message.ToJsonString()) };

    [Fact]
    public async Task A_truncated_studioml_payload_is_refused_as_malformed()
    {
        var message = await FixtureAsync();
        var payload = message["message"]!["payload"]!.GetValue<string>();
        message["message"]!["payload"] = payload[..(payload.Length / 2)];
        var refused = await RefusedAsync("demo", StudioMl(message));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
    }

    [Fact]
    public async Task A_studioml_payload_without_its_comma_is_refused_as_malformed()
    {
        var message = await FixtureAsync();
        message["message"]!["payload"] = message["message"]!["payload"]!.GetValue<string>().Replace(",", "", StringComparison.Ordinal);
        var refused = await RefusedAsync("demo", StudioMl(message));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("comma", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_sealed_to_a_key_this_deployment_does_not_have_is_refused()
    {
        using var stranger = X25519KeyPair.Generate();
        using var jwk = JsonWebKey.FromPublicKey(stranger.PublicKey);
        var refused = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", [1], recipientKid: jwk.Thumbprint(), recipient: stranger.PublicKey) });
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);
        Assert.Contains("recipient key", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_sealed_to_a_destroyed_key_version_is_refused()
    {
        var admin = stack.KeyServiceAdmin();
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "doomed", Kind = KeyAdminApi.KeyKind.X25519, DestroyScheduledSeconds = 1 }, cancellationToken: Ct);
        var pub = (await new KeyServiceApi.KeyService.KeyServiceClient(stack.ThroughEdge("alice")).GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = "doomed" }, cancellationToken: Ct)).PublicKey;
        await stack.WaitPublishedAsync(pub.Kid, Ct);
        await admin.RotateKeyAsync(new KeyAdminApi.RotateKeyRequest { KeyName = "doomed" }, cancellationToken: Ct); // the primary cannot be destroyed
        await admin.ScheduleDestroyKeyVersionAsync(new KeyAdminApi.ScheduleDestroyKeyVersionRequest { KeyName = "doomed", Version = 1 }, cancellationToken: Ct);
        using var jwk = JsonWebKey.Parse(pub.JwkJson);
        var recipient = jwk.ToX25519PublicKey();

        // The destruction reaches the key log through keyservice's sweeper and outbox: wait until the log says so.
        var storage = stack.StorageDirect("operator/admin");
        for (var attempt = 0; ; attempt++)
        {
            var entries = (await storage.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = pub.Kid }, cancellationToken: Ct)).Entries;
            if (entries.Any(e => e.EntryJson.ToStringUtf8().Contains("\"destroyed\"", StringComparison.Ordinal)))
            {
                break;
            }

            Assert.True(attempt < 240, "the destruction never reached the key log");
            await Task.Delay(500, Ct);
        }

        var refused = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", [1], recipientKid: pub.Kid, recipient: recipient) });
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("destroyed", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_signed_by_an_unregistered_key_is_refused()
    {
        using var unknown = Ed25519KeyPair.Generate();
        using var jwk = JsonWebKey.FromPublicKey(unknown.PublicKey);
        var impostor = stack.Alice with { Signing = unknown, SigningKid = jwk.Thumbprint() };
        var refused = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(impostor, "cat", [1]) });
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);
        Assert.Contains("client signing key", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_client_is_refused()
    {
        var revocation = new JsonObject { ["identity"] = stack.Carol.Identity, ["kids"] = new JsonArray(stack.Carol.SigningKid) };
        try
        {
            await stack.StorageAdmin().RevokeClientKeyAsync(new StorageApi.RevokeClientKeyRequest { RevocationJws = stack.OperatorJws(revocation, "strongroom-client-revocation") }, cancellationToken: Ct);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            // Revoked by an earlier run of this test against the same stack.
        }

        var refused = await RefusedAsync("carol", new SubmitRequest { Envelope = stack.Envelope(stack.Carol, "cat", [1]) });
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("revoked", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_client_cannot_submit_an_envelope_made_for_someone_else()
    {
        var refused = await RefusedAsync("bob", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", [1]) });
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);

        // Nor can a client claim another identity in a header it signs itself.
        var claimed = await RefusedAsync("bob", new SubmitRequest { Envelope = stack.Envelope(stack.Bob, "cat", [1], identity: stack.Alice.Identity) });
        Assert.Equal(StatusCode.PermissionDenied, claimed.StatusCode);
    }

    [Fact]
    public async Task A_replayed_hpke_request_is_refused()
    {
        var envelope = stack.Envelope(stack.Alice, "cat", "hello"u8.ToArray());
        var first = await stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct);
        Assert.False(string.IsNullOrEmpty(first.JobId));
        var refused = await RefusedAsync("alice", new SubmitRequest { Envelope = envelope });
        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);

        // The same request id under a fresh signature is still the same request.
        var requestId = EnvelopeHeaderOf(envelope).RequestId.ToByteArray();
        var again = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", "other"u8.ToArray(), requestId: requestId) });
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        await stack.WatchAsync("alice", first.JobId);
    }

    [Fact]
    public async Task An_expired_request_is_refused_and_a_lifetime_over_15_minutes_too()
    {
        var expired = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", [1], created: DateTimeOffset.UtcNow.AddMinutes(-20), lifetime: TimeSpan.FromMinutes(10)) });
        Assert.Equal(StatusCode.FailedPrecondition, expired.StatusCode);
        Assert.Contains("expired", expired.Status.Detail, StringComparison.Ordinal);

        var future = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", [1], created: DateTimeOffset.UtcNow.AddMinutes(5)) });
        Assert.Contains("clock", future.Status.Detail, StringComparison.Ordinal);

        var tooLong = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", [1], lifetime: TimeSpan.FromMinutes(16)) });
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
    }

    [Fact]
    public async Task A_request_naming_a_job_the_operator_did_not_configure_is_refused()
    {
        var refused = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "rm-rf", [1]) });
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("no job named 'rm-rf'", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_request_is_refused()
    {
        var refused = await RefusedAsync("alice", new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", new byte[300 * 1024]) });
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("larger than", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_queue_answers_resource_exhausted_until_there_is_room()
    {
        var accepted = new List<string>();
        RpcException? full = null;
        for (var i = 0; i < RunnerStack.MaxActiveJobs + 2 && full is null; i++)
        {
            try
            {
                accepted.Add((await stack.RunnerThroughEdge("bob").SubmitAsync(new SubmitRequest { Envelope = stack.Envelope(stack.Bob, "sleep", [1]) }, cancellationToken: Ct)).JobId);
            }
            catch (RpcException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);
        Assert.Equal(StatusCode.ResourceExhausted, full.StatusCode);
        Assert.Contains("queue is full", full.Status.Detail, StringComparison.Ordinal);
        foreach (var id in accepted)
        {
            try
            {
                await stack.RunnerAdmin().CancelJobAsync(new CancelJobRequest { JobId = id, Reason = "test cleanup" }, cancellationToken: Ct);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                // Already finished.
            }
        }

        foreach (var id in accepted)
        {
            var final = (await stack.WatchAsync("bob", id))[^1];
            Assert.Contains(final.Status, new[] { JobStatus.Cancelled, JobStatus.Succeeded });
        }
    }

    private static Header EnvelopeHeaderOf(Envelope envelope) => Header.Parser.ParseFrom(envelope.Header);
}
