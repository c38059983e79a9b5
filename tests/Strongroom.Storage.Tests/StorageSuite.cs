using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Tests.Support;
using Strongroom.Storage.V1;
using Checkpoint = Strongroom.KeyLog.Checkpoint;
using KeyKind = Strongroom.Storage.V1.KeyKind;

namespace Strongroom.Storage.Tests;

/// <summary>
/// The storage contract, run unchanged against each backend (SQLite and PostgreSQL subclasses
/// below), through the real service on real Kestrel with real mTLS.
/// </summary>
public abstract class StorageSuite<TStack>(TStack stack) : IClassFixture<TStack>
    where TStack : StorageStack
{
    protected TStack Stack { get; } = stack;

    private static readonly WorkloadIdentity Alice = WorkloadIdentity.Client("alice");
    private static readonly WorkloadIdentity Bob = WorkloadIdentity.Client("bob");

    private static string NewJobId() => "job-" + Guid.NewGuid().ToString("N");

    private static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    private async Task<(string JobId, string Jws)> PutAsync(Ed25519KeyPair key, WorkloadIdentity owner, byte[]? output = null)
    {
        var job = NewJobId();
        var jws = StorageStack.SignResult(key, job);
        await Stack.Client(WorkloadIdentity.Runner).PutResultAsync(new PutResultRequest
        {
            JobId = job,
            OwnerIdentity = owner.ToString(),
            SignedResult = jws,
            Output = ByteString.CopyFrom(output ?? [1, 2, 3]),
        });
        return (job, jws);
    }

    private async Task<LogVerifier> PinAsync()
    {
        var verifier = new LogVerifier(Stack.Signer.Verifier, StorageStack.Origin);
        var checkpoint = await Stack.Client(Alice).GetCheckpointAsync(new GetCheckpointRequest());
        verifier.Advance(checkpoint.Checkpoint.Note);
        return verifier;
    }

    [Fact]
    public async Task A_kid_is_bound_once_whoever_asks()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        var kid = await Stack.PublishResultKeyAsync(key);
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        var signer = Stack.Client(WorkloadIdentity.Signer);

        // The same publication again is a retry.
        var again = await signer.PublishKeyAsync(new PublishKeyRequest { Kid = kid, JwkJson = jwk.ToJson(), OwnerIdentity = "signer", Kind = KeyKind.ResultSigning, KeyName = "results", Version = 1 });
        Assert.False(again.Created);

        // Other metadata under the kid: refused.
        Assert.Equal(StatusCode.AlreadyExists, await StatusOf(() => signer.PublishKeyAsync(new PublishKeyRequest { Kid = kid, JwkJson = jwk.ToJson(), OwnerIdentity = "signer", Kind = KeyKind.LogSigning, KeyName = "log", Version = 7 }).ResponseAsync));

        // An operator registering a client whose signing key is the signer's key: refused too, nothing appended.
        var before = (await Stack.Client(Alice).GetCheckpointAsync(new GetCheckpointRequest())).Checkpoint.TreeSize;
        using var sealing = X25519KeyPair.Generate();
        var registration = Stack.OperatorJws(new JsonObject
        {
            ["identity"] = "spiffe://strongroom/client/mallory",
            ["signing_key"] = JsonNode.Parse(jwk.ToJson()),
            ["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(sealing.PublicKey).ToJson()),
        });
        Assert.Equal(StatusCode.AlreadyExists, await StatusOf(() => Stack.Client(WorkloadIdentity.Operator("admin")).RegisterClientAsync(new RegisterClientRequest { RegistrationJws = registration }).ResponseAsync));
        Assert.Equal(before, (await Stack.Client(Alice).GetCheckpointAsync(new GetCheckpointRequest())).Checkpoint.TreeSize);
    }

    [Fact]
    public async Task A_service_publishes_only_its_own_keys_of_its_own_kinds()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        var request = new PublishKeyRequest { Kid = jwk.Thumbprint(), JwkJson = jwk.ToJson(), OwnerIdentity = "signer", Kind = KeyKind.ResultSigning, KeyName = "x", Version = 1 };
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => Stack.Client(WorkloadIdentity.KeyService).PublishKeyAsync(request).ResponseAsync));
        request.OwnerIdentity = "keyservice";
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => Stack.Client(WorkloadIdentity.KeyService).PublishKeyAsync(request).ResponseAsync));
        request.Kid = new string('A', 43);
        request.OwnerIdentity = "signer";
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Stack.Client(WorkloadIdentity.Signer).PublishKeyAsync(request).ResponseAsync));
    }

    [Fact]
    public async Task A_client_registers_with_an_operator_signed_jws_and_its_keys_are_found_by_alias_and_fingerprint()
    {
        Stack.RequireBackend();
        using var signing = Ed25519KeyPair.Generate();
        using var sealing = X25519KeyPair.Generate();
        var name = "c" + Guid.NewGuid().ToString("N")[..10];
        var registration = new JsonObject
        {
            ["identity"] = $"client/{name}",
            ["signing_key"] = OpenSsh.FormatAuthorizedKey(signing.PublicKey, "alice@laptop"),
            ["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(sealing.PublicKey).ToJson()),
            ["aliases"] = new JsonArray($"{name}-key-1"),
        };
        var operatorClient = Stack.Client(WorkloadIdentity.Operator("admin"));
        var response = await operatorClient.RegisterClientAsync(new RegisterClientRequest { RegistrationJws = Stack.OperatorJws(registration) });
        Assert.Equal($"spiffe://strongroom/client/{name}", response.ClientIdentity);
        Assert.Equal(JsonWebKey.FromPublicKey(signing.PublicKey).Thumbprint(), response.SigningKid);
        Assert.Equal(4, response.Entries.Count);

        var byAlias = await Stack.Client(Alice).LookupKeyAsync(new LookupKeyRequest { Alias = $"{name}-key-1" });
        Assert.Equal(response.SigningKid, byAlias.Kid);
        Assert.Equal(KeyKind.ClientSigning, byAlias.Kind);
        var byFingerprint = await Stack.Client(Alice).LookupKeyAsync(new LookupKeyRequest { OpensshFingerprint = OpenSsh.Fingerprint(signing.PublicKey) });
        Assert.Equal(response.SigningKid, byFingerprint.Kid);

        // The same signed registration again is a retry; the alias cannot be bound to another key.
        var retry = await operatorClient.RegisterClientAsync(new RegisterClientRequest { RegistrationJws = Stack.OperatorJws(registration) });
        Assert.Equal(response.SigningKid, retry.SigningKid);
        using var other = Ed25519KeyPair.Generate();
        using var otherSealing = X25519KeyPair.Generate();
        registration["identity"] = $"client/{name}-2";
        registration["signing_key"] = OpenSsh.FormatAuthorizedKey(other.PublicKey);
        registration["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(otherSealing.PublicKey).ToJson());
        Assert.Equal(StatusCode.AlreadyExists, await StatusOf(() => operatorClient.RegisterClientAsync(new RegisterClientRequest { RegistrationJws = Stack.OperatorJws(registration) }).ResponseAsync));
    }

    [Fact]
    public async Task A_sqooler_key_string_registers_and_its_foreign_kid_becomes_an_alias()
    {
        Stack.RequireBackend();
        using var signing = Ed25519KeyPair.Generate();
        using var sealing = X25519KeyPair.Generate();
        var foreign = "fermions-key-" + Guid.NewGuid().ToString("N")[..8];
        // sqooler: base64url WITH padding of the JWK JSON, padded x.
        var x = Convert.ToBase64String(signing.PublicKey.Export()).Replace('+', '-').Replace('/', '_');
        var sqoolerJwk = $"{{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"{x}\",\"kid\":\"{foreign}\"}}";
        var sqoolerString = Convert.ToBase64String(Encoding.UTF8.GetBytes(sqoolerJwk)).Replace('+', '-').Replace('/', '_');
        var response = await Stack.Client(WorkloadIdentity.Operator("admin")).RegisterClientAsync(new RegisterClientRequest
        {
            RegistrationJws = Stack.OperatorJws(new JsonObject
            {
                ["identity"] = "client/sq" + Guid.NewGuid().ToString("N")[..8],
                ["signing_key"] = sqoolerString,
                ["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(sealing.PublicKey).ToJson()),
            }),
        });
        var byAlias = await Stack.Client(Alice).LookupKeyAsync(new LookupKeyRequest { Alias = foreign });
        Assert.Equal(response.SigningKid, byAlias.Kid);
    }

    [Fact]
    public async Task A_registration_not_signed_by_a_pinned_operator_key_is_refused_whoever_sends_it()
    {
        Stack.RequireBackend();
        using var stranger = Ed25519KeyPair.Generate();
        using var signing = Ed25519KeyPair.Generate();
        using var sealing = X25519KeyPair.Generate();
        var payload = new JsonObject
        {
            ["identity"] = "client/eve",
            ["signing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(signing.PublicKey).ToJson()),
            ["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(sealing.PublicKey).ToJson()),
        };
        var operatorClient = Stack.Client(WorkloadIdentity.Operator("admin"));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => operatorClient.RegisterClientAsync(new RegisterClientRequest { RegistrationJws = Stack.OperatorJws(payload, key: stranger) }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => operatorClient.RegisterClientAsync(new RegisterClientRequest { RegistrationJws = Stack.OperatorJws(payload, typ: "strongroom-config") }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => operatorClient.RegisterClientAsync(new RegisterClientRequest { RegistrationJws = "not.a.jws!" }).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await StatusOf(() => Stack.Client(Alice).LookupKeyAsync(new LookupKeyRequest { Kid = JsonWebKey.FromPublicKey(signing.PublicKey).Thumbprint() }).ResponseAsync));
    }

    [Fact]
    public async Task Entries_verify_against_a_pinned_checkpoint_and_the_log_only_grows()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(key);
        var verifier = await PinAsync();
        var pinned = verifier.Pinned!.Size;
        using var key2 = Ed25519KeyPair.Generate();
        var kid2 = await Stack.PublishResultKeyAsync(key2);

        var client = Stack.Client(Alice);
        var latest = (await client.GetCheckpointAsync(new GetCheckpointRequest())).Checkpoint;
        var consistency = await client.GetConsistencyProofAsync(new GetConsistencyProofRequest { FirstTreeSize = (ulong)pinned });
        verifier.Advance(latest.Note, consistency.Hashes.Select(h => h.ToByteArray()).ToList());

        var lookup = await client.LookupKeyAsync(new LookupKeyRequest { Kid = kid2 });
        var entry = lookup.Entries.Single();
        var proof = await client.GetInclusionProofAsync(new GetInclusionProofRequest { LeafIndex = entry.Index });
        Assert.True(verifier.VerifyInclusion(entry.EntryJson.Span, (long)entry.Index, proof.Hashes.Select(h => h.ToByteArray()).ToList()));

        var all = new List<byte[]>();
        while (all.Count < (int)latest.TreeSize)
        {
            var page = await client.GetKeyLogEntriesAsync(new GetKeyLogEntriesRequest { StartIndex = (ulong)all.Count, EndIndex = latest.TreeSize });
            all.AddRange(page.Entries.Select(e => e.EntryJson.ToByteArray()));
        }

        var replay = verifier.ReplayAll(all);
        Assert.Equal(KeyState.Enabled, replay.Find(kid2)!.State);
        Assert.True((await Stack.Admin().VerifyKeyLogAsync(new VerifyKeyLogRequest())).Consistent);
    }

    [Fact]
    public async Task A_revoked_signer_key_leaves_the_jwks_signs_no_new_results_and_replays_as_revoked()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        var kid = await Stack.PublishResultKeyAsync(key);
        await Stack.Client(WorkloadIdentity.Signer).PublishKeyEventAsync(new PublishKeyEventRequest { Kid = kid, Event = KeyEvent.Revoked });
        var jwks = (await Stack.Client(Alice).GetJwksAsync(new GetJwksRequest())).JwksJson;
        Assert.DoesNotContain(kid, jwks, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, await StatusOf(() => PutAsync(key, Alice)));
        // Nothing after revocation.
        Assert.Equal(StatusCode.FailedPrecondition, await StatusOf(() => Stack.Client(WorkloadIdentity.Signer).PublishKeyEventAsync(new PublishKeyEventRequest { Kid = kid, Event = KeyEvent.Enabled }).ResponseAsync));
        // Only the owner records events.
        using var other = Ed25519KeyPair.Generate();
        var otherKid = await Stack.PublishResultKeyAsync(other);
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => Stack.Client(WorkloadIdentity.KeyService).PublishKeyEventAsync(new PublishKeyEventRequest { Kid = otherKid, Event = KeyEvent.Disabled }).ResponseAsync));
    }

    [Fact]
    public async Task A_key_row_edited_in_the_database_is_caught_by_a_client_that_pinned_a_checkpoint()
    {
        Stack.RequireBackend();
        using var honest = Ed25519KeyPair.Generate();
        var kid = await Stack.PublishResultKeyAsync(honest);
        var verifier = await PinAsync();
        var client = Stack.Client(Alice);
        var index = (await client.LookupKeyAsync(new LookupKeyRequest { Kid = kid })).Entries.Single().Index;

        // Behind storage's back: swap the published JWK's x for an attacker's key in both the
        // entry and the look-up row.
        using var attacker = Ed25519KeyPair.Generate();
        var honestX = StrictBase64.EncodeUrl(honest.PublicKey.Export());
        var attackerX = StrictBase64.EncodeUrl(attacker.PublicKey.Export());
        var original = (await client.GetKeyLogEntriesAsync(new GetKeyLogEntriesRequest { StartIndex = index, EndIndex = index + 1 })).Entries.Single().EntryJson.ToStringUtf8();
        var forged = original.Replace(honestX, attackerX, StringComparison.Ordinal);
        var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(forged));
        await Stack.ExecuteSqlAsync(Stack is PostgresStorageStack
            ? $"UPDATE log_entries SET entry_json = decode('{hex}', 'hex') WHERE idx = {index}"
            : $"UPDATE log_entries SET entry_json = x'{hex}' WHERE idx = {index}");
        await Stack.ExecuteSqlAsync($"UPDATE log_keys SET jwk_json = replace(jwk_json, '{honestX}', '{attackerX}') WHERE kid = '{kid}'");

        var served = (await client.LookupKeyAsync(new LookupKeyRequest { Kid = kid })).Entries.Single();
        Assert.Contains(attackerX, served.EntryJson.ToStringUtf8(), StringComparison.Ordinal);
        var proof = await client.GetInclusionProofAsync(new GetInclusionProofRequest { LeafIndex = index, TreeSize = (ulong)verifier.Pinned!.Size });
        Assert.False(verifier.VerifyInclusion(served.EntryJson.Span, (long)served.Index, proof.Hashes.Select(h => h.ToByteArray()).ToList()));
        // The forged entry is not even well formed: its kid is no longer its JWK's thumbprint.
        Assert.Throws<KeyLogFormatException>(() => KeyLogEntry.Parse(served.EntryJson.Span));
        var verdict = await Stack.Admin().VerifyKeyLogAsync(new VerifyKeyLogRequest());
        Assert.False(verdict.Consistent);
        Assert.Equal(index, verdict.FirstBadIndex);

        // The signer will not checkpoint the edited log either.
        var refusals = Stack.Signer.Refusals;
        using var next = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(next);
        Assert.True(Stack.Signer.Refusals > refusals);
        Assert.Equal(StatusCode.FailedPrecondition, await StatusOf(() => Stack.Admin().RequestCheckpointAsync(new RequestCheckpointRequest()).ResponseAsync));

        // Restore, so the rest of this class's tests see an honest log again.
        var restoreHex = Convert.ToHexString(Encoding.UTF8.GetBytes(original));
        await Stack.ExecuteSqlAsync(Stack is PostgresStorageStack
            ? $"UPDATE log_entries SET entry_json = decode('{restoreHex}', 'hex') WHERE idx = {index}"
            : $"UPDATE log_entries SET entry_json = x'{restoreHex}' WHERE idx = {index}");
        await Stack.ExecuteSqlAsync($"UPDATE log_keys SET jwk_json = replace(jwk_json, '{attackerX}', '{honestX}') WHERE kid = '{kid}'");
        await Stack.Admin().RequestCheckpointAsync(new RequestCheckpointRequest());
    }

    [Fact]
    public async Task A_truncated_log_is_not_checkpointed_and_fails_a_pinned_clients_consistency_check()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(key);
        var verifier = await PinAsync();
        var size = verifier.Pinned!.Size;
        var last = (await Stack.Client(Alice).GetKeyLogEntriesAsync(new GetKeyLogEntriesRequest { StartIndex = (ulong)size - 1, EndIndex = (ulong)size })).Entries.Single();

        await Stack.ExecuteSqlAsync($"DELETE FROM log_entries WHERE idx = {size - 1}");
        Assert.Equal(StatusCode.FailedPrecondition, await StatusOf(() => Stack.Admin().RequestCheckpointAsync(new RequestCheckpointRequest()).ResponseAsync));
        // A storage that served a checkpoint of the shorter tree cannot prove it extends the pinned one.
        var shorter = Enumerable.Range(0, (int)size - 1).Select(i => i).ToList();
        Assert.ThrowsAny<Exception>(() => verifier.Advance(verifier.Pinned.Note.Replace($"\n{size}\n", $"\n{size - 1}\n", StringComparison.Ordinal), []));

        var hex = Convert.ToHexString(last.EntryJson.ToByteArray());
        await Stack.ExecuteSqlAsync(Stack is PostgresStorageStack
            ? $"INSERT INTO log_entries (idx, type, entry_json, append_time) VALUES ({size - 1}, 'key_published', decode('{hex}', 'hex'), {last.AppendTime})"
            : $"INSERT INTO log_entries (idx, type, entry_json, append_time) VALUES ({size - 1}, 'key_published', x'{hex}', {last.AppendTime})");
        Assert.Equal(shorter.Count + 1, (int)(await Stack.Admin().RequestCheckpointAsync(new RequestCheckpointRequest())).Checkpoint.TreeSize);
    }

    [Fact]
    public async Task A_result_is_stored_once_per_job_id_and_an_identical_retry_succeeds()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(key);
        var job = NewJobId();
        var runner = Stack.Client(WorkloadIdentity.Runner);
        var request = new PutResultRequest { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = StorageStack.SignResult(key, job), Output = ByteString.CopyFromUtf8("out") };
        Assert.True((await runner.PutResultAsync(request)).Created);
        Assert.False((await runner.PutResultAsync(request)).Created);
        var different = request.Clone();
        different.Output = ByteString.CopyFromUtf8("other");
        Assert.Equal(StatusCode.AlreadyExists, await StatusOf(() => runner.PutResultAsync(different).ResponseAsync));
        Assert.Equal("out", (await Stack.Client(Alice).GetResultAsync(new GetResultRequest { JobId = job })).Result.Output.ToStringUtf8());
    }

    [Fact]
    public async Task Two_concurrent_put_results_with_the_same_job_id_store_one_result()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(key);
        for (var round = 0; round < 5; round++)
        {
            var job = NewJobId();
            var jws = StorageStack.SignResult(key, job);
            var calls = Enumerable.Range(0, 2).Select(i => StatusOf(() => Stack.Client(WorkloadIdentity.Runner).PutResultAsync(new PutResultRequest
            {
                JobId = job,
                OwnerIdentity = Alice.ToString(),
                SignedResult = jws,
                Output = ByteString.CopyFrom([(byte)i]),
            }).ResponseAsync)).ToList();
            var statuses = await Task.WhenAll(calls);
            Assert.Equal(1, statuses.Count(s => s == StatusCode.OK));
            Assert.Equal(1, statuses.Count(s => s == StatusCode.AlreadyExists));
            var listed = await Stack.Client(WorkloadIdentity.Operator("admin")).ListResultsAsync(new ListResultsRequest { OwnerIdentity = Alice.ToString(), PageSize = 500 });
            Assert.Single(listed.Results, r => r.JobId == job);
        }
    }

    [Fact]
    public async Task One_client_cannot_read_or_list_another_clients_results()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(key);
        var (job, _) = await PutAsync(key, Alice);
        Assert.Equal(StatusCode.NotFound, await StatusOf(() => Stack.Client(Bob).GetResultAsync(new GetResultRequest { JobId = job }).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => Stack.Client(Bob).ListResultsAsync(new ListResultsRequest { OwnerIdentity = Alice.ToString() }).ResponseAsync));
        Assert.DoesNotContain((await Stack.Client(Bob).ListResultsAsync(new ListResultsRequest { PageSize = 500 })).Results, r => r.JobId == job);
        Assert.Equal(job, (await Stack.Client(Alice).GetResultAsync(new GetResultRequest { JobId = job })).Result.JobId);
        Assert.Equal(job, (await Stack.Client(WorkloadIdentity.Operator("admin")).GetResultAsync(new GetResultRequest { JobId = job })).Result.JobId);
    }

    [Fact]
    public async Task Listing_pages_with_tokens_that_cannot_be_edited_or_moved_to_another_listing()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(key);
        var owner = WorkloadIdentity.Client("pager" + Guid.NewGuid().ToString("N")[..6]);
        var jobs = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            jobs.Add((await PutAsync(key, owner)).JobId);
        }

        var client = Stack.Client(owner);
        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await client.ListResultsAsync(new ListResultsRequest { PageSize = 2, PageToken = token });
            seen.AddRange(page.Results.Select(r => r.JobId));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);
        Assert.Equal(jobs, seen);
        Assert.Equal(3, pages);

        var first = await client.ListResultsAsync(new ListResultsRequest { PageSize = 2 });
        var bytes = Convert.FromBase64String(first.NextPageToken.Replace('-', '+').Replace('_', '/') + "==="[..((4 - (first.NextPageToken.Length % 4)) % 4)]);
        bytes[7] ^= 1;
        var tampered = StrictBase64.EncodeUrl(bytes);
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => client.ListResultsAsync(new ListResultsRequest { PageSize = 2, PageToken = tampered }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => client.ListResultsAsync(new ListResultsRequest { PageSize = 2, PageToken = "garbage" }).ResponseAsync));
        // The token of one owner's listing is no good in the operator's all-owners listing.
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Stack.Client(WorkloadIdentity.Operator("admin")).ListResultsAsync(new ListResultsRequest { PageSize = 2, PageToken = first.NextPageToken }).ResponseAsync));
    }

    [Fact]
    public async Task Bad_results_get_clear_statuses_and_nothing_is_stored()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(key);
        using var unknown = Ed25519KeyPair.Generate();
        var runner = Stack.Client(WorkloadIdentity.Runner);
        var cases = new List<(string Job, PutResultRequest Request, StatusCode Expected)>();
        void Add(Func<string, PutResultRequest> make, StatusCode expected)
        {
            var job = NewJobId();
            cases.Add((job, make(job), expected));
        }

        Add(job => new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = "eyJhbGciOiJFZERTQSJ9..x" }, StatusCode.InvalidArgument);
        Add(job => new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = "not a jws" }, StatusCode.InvalidArgument);
        Add(job => new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = StorageStack.SignResult(unknown, job) }, StatusCode.FailedPrecondition);
        Add(job => new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = StorageStack.SignResult(key, job, "strongroom-config") }, StatusCode.InvalidArgument);
        Add(job => new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = StorageStack.SignResult(key, "another-job") }, StatusCode.InvalidArgument);
        Add(job => new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = StorageStack.SignResult(key, job), Output = ByteString.CopyFrom(new byte[65537]) }, StatusCode.InvalidArgument);
        Add(job => new() { JobId = job, OwnerIdentity = "runner", SignedResult = StorageStack.SignResult(key, job) }, StatusCode.InvalidArgument);
        Add(job => new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = StorageStack.SignResult(key, job), OutputEnc = ByteString.CopyFrom(new byte[32]), SealedToKid = new string('A', 43) }, StatusCode.InvalidArgument);
        Add(job => new() { JobId = job + "/../x", OwnerIdentity = Alice.ToString(), SignedResult = StorageStack.SignResult(key, job) }, StatusCode.InvalidArgument);
        Add(job =>
        {
            var jws = StorageStack.SignResult(key, job);
            var flipped = jws[..^2] + (jws[^2] == 'A' ? 'B' : 'A') + jws[^1];
            return new() { JobId = job, OwnerIdentity = Alice.ToString(), SignedResult = flipped };
        }, StatusCode.InvalidArgument);

        foreach (var (job, request, expected) in cases)
        {
            Assert.Equal(expected, await StatusOf(() => runner.PutResultAsync(request).ResponseAsync));
            Assert.Equal(StatusCode.NotFound, await StatusOf(() => Stack.Client(WorkloadIdentity.Operator("admin")).GetResultAsync(new GetResultRequest { JobId = job }).ResponseAsync));
        }
    }

    [Fact]
    public async Task An_operator_signed_revocation_revokes_a_clients_keys_and_nothing_is_sealed_to_them_afterwards()
    {
        Stack.RequireBackend();
        using var resultKey = Ed25519KeyPair.Generate();
        await Stack.PublishResultKeyAsync(resultKey);
        using var signing = Ed25519KeyPair.Generate();
        using var sealing = X25519KeyPair.Generate();
        var identity = "client/r" + Guid.NewGuid().ToString("N")[..8];
        var registered = await Stack.Client(WorkloadIdentity.Operator("admin")).RegisterClientAsync(new RegisterClientRequest
        {
            RegistrationJws = Stack.OperatorJws(new JsonObject
            {
                ["identity"] = identity,
                ["signing_key"] = OpenSsh.FormatAuthorizedKey(signing.PublicKey),
                ["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(sealing.PublicKey).ToJson()),
            }),
        });
        var owner = WorkloadIdentity.ParseShort(identity);

        // Sealed to the registered key: accepted.
        var job = NewJobId();
        await Stack.Client(WorkloadIdentity.Runner).PutResultAsync(new PutResultRequest
        {
            JobId = job, OwnerIdentity = owner.ToString(), SignedResult = StorageStack.SignResult(resultKey, job),
            Output = ByteString.CopyFromUtf8("ct"), OutputEnc = ByteString.CopyFrom(new byte[32]), SealedToKid = registered.SealingKid,
        });

        var payload = new JsonObject { ["identity"] = identity, ["kids"] = new JsonArray(registered.SigningKid, registered.SealingKid) };
        using var stranger = Ed25519KeyPair.Generate();
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => Stack.Admin().RevokeClientKeyAsync(new RevokeClientKeyRequest { RevocationJws = Stack.OperatorJws(payload, Domain.ClientRegistry.RevocationType, stranger) }).ResponseAsync));
        var revoked = await Stack.Admin().RevokeClientKeyAsync(new RevokeClientKeyRequest { RevocationJws = Stack.OperatorJws(payload, Domain.ClientRegistry.RevocationType) });
        Assert.Equal(EntryType.ClientRevocation, revoked.Entry.Type);
        Assert.Equal(StatusCode.FailedPrecondition, await StatusOf(() => Stack.Admin().RevokeClientKeyAsync(new RevokeClientKeyRequest { RevocationJws = Stack.OperatorJws(payload, Domain.ClientRegistry.RevocationType) }).ResponseAsync));

        var job2 = NewJobId();
        Assert.Equal(StatusCode.FailedPrecondition, await StatusOf(() => Stack.Client(WorkloadIdentity.Runner).PutResultAsync(new PutResultRequest
        {
            JobId = job2, OwnerIdentity = owner.ToString(), SignedResult = StorageStack.SignResult(resultKey, job2),
            Output = ByteString.CopyFromUtf8("ct"), OutputEnc = ByteString.CopyFrom(new byte[32]), SealedToKid = registered.SealingKid,
        }).ResponseAsync));

        // A client replaying the verified log learns the revocation.
        var verifier = await PinAsync();
        var all = new List<byte[]>();
        while (all.Count < verifier.Pinned!.Size)
        {
            var page = await Stack.Client(Alice).GetKeyLogEntriesAsync(new GetKeyLogEntriesRequest { StartIndex = (ulong)all.Count, EndIndex = (ulong)verifier.Pinned.Size });
            all.AddRange(page.Entries.Select(e => e.EntryJson.ToByteArray()));
        }

        var replay = verifier.ReplayAll(all);
        Assert.Equal(KeyState.Revoked, replay.Find(registered.SigningKid)!.State);
        Assert.False(replay.Find(registered.SigningKid)!.AcceptsSignatureIssuedAt(0));
    }

    [Fact]
    public async Task Audit_heads_are_anchored_as_one_entry_each_and_only_with_well_formed_heads()
    {
        Stack.RequireBackend();
        var request = new AnchorAuditHeadsRequest();
        request.Heads.Add(new AuditHead { Service = "spiffe://strongroom/kms", Size = 12, HeadHash = ByteString.CopyFrom(new byte[32]) });
        request.Heads.Add(new AuditHead { Service = "keyservice", Size = 3, HeadHash = ByteString.CopyFrom(Enumerable.Repeat((byte)7, 32).ToArray()) });
        var response = await Stack.Admin().AnchorAuditHeadsAsync(request);
        Assert.Equal(2, response.Entries.Count);
        var second = (AuditAnchor)KeyLogEntry.Parse(response.Entries[1].EntryJson.Span);
        Assert.Equal("spiffe://strongroom/keyservice", second.Service);
        Assert.Equal(3, second.Size);

        var bad = new AnchorAuditHeadsRequest();
        bad.Heads.Add(new AuditHead { Service = "kms", Size = 1, HeadHash = ByteString.CopyFrom(new byte[31]) });
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Stack.Admin().AnchorAuditHeadsAsync(bad).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Stack.Admin().AnchorAuditHeadsAsync(new AnchorAuditHeadsRequest()).ResponseAsync));
    }

    [Fact]
    public async Task The_jwks_endpoint_serves_without_a_client_certificate_and_refuses_anything_but_get()
    {
        Stack.RequireBackend();
        using var key = Ed25519KeyPair.Generate();
        var kid = await Stack.PublishResultKeyAsync(key);
        using var http = Stack.AnonymousHttp();

        using var response = await http.GetAsync(new Uri("/.well-known/jwks.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jwk-set+json", response.Content.Headers.ContentType!.MediaType);
        using var jwks = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(jwks.RootElement.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == kid && k.GetProperty("alg").GetString() == "EdDSA");

        // A registered client's Ed25519 key is not in the verification set (its JWS would pass as a result).
        using var clientKey = Ed25519KeyPair.Generate();
        using var sealing = X25519KeyPair.Generate();
        var registered = await Stack.Client(WorkloadIdentity.Operator("admin")).RegisterClientAsync(new RegisterClientRequest
        {
            RegistrationJws = Stack.OperatorJws(new JsonObject
            {
                ["identity"] = "client/j" + Guid.NewGuid().ToString("N")[..8],
                ["signing_key"] = OpenSsh.FormatAuthorizedKey(clientKey.PublicKey),
                ["sealing_key"] = JsonNode.Parse(JsonWebKey.FromPublicKey(sealing.PublicKey).ToJson()),
            }),
        });
        var after = await http.GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative));
        Assert.Contains(kid, after, StringComparison.Ordinal);
        Assert.DoesNotContain(registered.SigningKid, after, StringComparison.Ordinal);
        Assert.DoesNotContain(registered.SealingKid, after, StringComparison.Ordinal);

        var checkpoint = await http.GetStringAsync(new Uri("/checkpoint", UriKind.Relative));
        Assert.Equal(StorageStack.Origin, checkpoint.Split('\n')[0]);
        Checkpoint.Verify(checkpoint, Stack.Signer.Verifier, StorageStack.Origin);

        using var post = await http.PostAsync(new Uri("/.well-known/jwks.json", UriKind.Relative), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var delete = await http.DeleteAsync(new Uri("/checkpoint", UriKind.Relative));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        // No gRPC method is reachable on the read-only listener.
        using var grpc = new HttpRequestMessage(HttpMethod.Post, "/strongroom.storage.v1.Storage/GetJwks") { Version = HttpVersion.Version20, Content = new ByteArrayContent([0, 0, 0, 0, 0]) };
        grpc.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        using var grpcResponse = await http.SendAsync(grpc);
        Assert.Equal(HttpStatusCode.NotFound, grpcResponse.StatusCode);
        using var other = await http.GetAsync(new Uri("/keys", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }
}

public sealed class SqliteStorageTests(SqliteStorageStack stack) : StorageSuite<SqliteStorageStack>(stack)
{
    [Fact]
    public void The_database_file_is_private_to_its_owner()
    {
        var mode = File.GetUnixFileMode(Stack.DatabasePath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }
}

public sealed class PostgresStorageTests(PostgresStorageStack stack) : StorageSuite<PostgresStorageStack>(stack);
