using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.Resilience.Tests.Support;
using Strongroom.Runner.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using SignerApi = Strongroom.Signer.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Resilience.Tests;

/// <summary>
/// Input limits over the real stack (issue 7): oversized messages, floods of metadata, deeply nested
/// JSON and protobuf, huge base64, and slow or idle clients, sent through the edge and straight at
/// each service's public listener. Every refusal must be a clear status (expected code, short
/// message, no stack trace, no secret), leave nothing queued or stored, keep the service healthy,
/// and cost the service a bounded amount of memory (RSS sampled during the attack). Figures go to
/// the test output and to <see cref="InputLimitFigures.FilePath"/>.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class InputLimitsTests(ResilienceStack stack)
{
    private const int Mib = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int MaxReceive(string service) => ConfiguredLimits.Hosting(stack, service).MaxReceiveMessageBytes;

    private string[] Secrets => CleanStatus.Secrets(stack);

    [Fact]
    public async Task Oversized_submits_through_the_edge_and_directly_are_refused_cleanly_and_nothing_is_queued()
    {
        var intakeLimit = ConfiguredLimits.RunnerMaxRequestBytes(stack);
        var transportLimit = Math.Min(MaxReceive("edge"), MaxReceive("runner"));
        var viaEdge = stack.RunnerThroughEdge("alice");
        var direct = new Runner.V1.Runner.RunnerClient(stack.Invoker("client/alice", stack.PublicAddress("runner"), "runner"));
        var before = await CountJobsAsync();

        // Just under the runner's own limit: an ordinary request, accepted (the boundary is where the docs say).
        var underIntake = stack.Envelope(stack.Alice, "cat", new byte[intakeLimit - 4096]);
        Assert.True(underIntake.CalculateSize() <= intakeLimit);
        var accepted = await viaEdge.SubmitAsync(new SubmitRequest { Envelope = underIntake }, cancellationToken: Ct);
        Assert.StartsWith("job-", accepted.JobId, StringComparison.Ordinal);
        var afterAccepted = await CountJobsAsync();
        Assert.Equal(before + 1, afterAccepted);

        await using var watch = new MemoryWatch(stack, "edge", "runner");
        var attacks = new (string Name, Runner.V1.Runner.RunnerClient Client, int Size, StatusCode Expected)[]
        {
            ("edge: just over Runner:MaxRequestBytes", viaEdge, intakeLimit + 1024, StatusCode.InvalidArgument),
            ("edge: just under MaxReceiveMessageBytes", viaEdge, transportLimit - 1024, StatusCode.InvalidArgument),
            ("edge: just over MaxReceiveMessageBytes", viaEdge, transportLimit + 1024, StatusCode.ResourceExhausted),
            ("runner direct: just under MaxReceiveMessageBytes", direct, transportLimit - 1024, StatusCode.InvalidArgument),
            ("runner direct: just over MaxReceiveMessageBytes", direct, transportLimit + 1024, StatusCode.ResourceExhausted),
        };
        foreach (var (name, client, size, expected) in attacks)
        {
            var envelope = stack.Envelope(stack.Alice, "cat", [1]);
            envelope.Ct = ByteString.CopyFrom(new byte[size - envelope.CalculateSize()]);
            var ex = await Assert.ThrowsAsync<RpcException>(() => client.SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct).ResponseAsync);
            CleanStatus.Assert(ex, Secrets, expected);
            InputLimitFigures.Record($"submit {name} ({envelope.CalculateSize()} B) → {ex.StatusCode}: {ex.Status.Detail}");
        }

        // Far over: 4 × 64 MiB at once through the edge and 1 × 64 MiB direct. Buffering them would cost 320 MiB.
        var huge = new SubmitRequest { StudiomlMessage = ByteString.CopyFrom(new byte[64 * Mib]) };
        var floods = Enumerable.Range(0, 4).Select(_ => viaEdge.SubmitAsync(huge, cancellationToken: Ct).ResponseAsync)
            .Append(direct.SubmitAsync(huge, cancellationToken: Ct).ResponseAsync).ToList();
        foreach (var flood in floods)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => flood);
            CleanStatus.Assert(ex, Secrets, StatusCode.ResourceExhausted);
        }

        InputLimitFigures.Record($"submit 5 × 64 MiB (4 via edge, 1 direct) → RESOURCE_EXHAUSTED");
        var memory = await watch.StopAsync();
        RecordAndAssertMemory("oversized submits", memory, BoundFor(transportLimit, concurrent: 5));

        Assert.Equal(afterAccepted, await CountJobsAsync());
        await AssertHealthyAsync("edge", "runner");
    }

    [Fact]
    public async Task Oversized_requests_to_storage_keyservice_and_signer_are_refused_cleanly_and_nothing_is_stored()
    {
        var results = await CountResultsAsync();
        var storageAsRunner = new StorageApi.Storage.StorageClient(stack.Invoker("runner", stack.PublicAddress("storage"), "storage"));
        var storageAsKeyservice = new StorageApi.Storage.StorageClient(stack.Invoker("keyservice", stack.PublicAddress("storage"), "storage"));
        var storageAsOperator = stack.StorageDirect("operator/admin");
        var keyservice = new KeyServiceApi.KeyService.KeyServiceClient(stack.Invoker("runner", stack.PublicAddress("keyservice"), "keyservice"));
        var keyserviceViaEdge = new KeyServiceApi.KeyService.KeyServiceClient(stack.ThroughEdge("alice"));
        var signer = new SignerApi.Signer.SignerClient(stack.Invoker("runner", stack.PublicAddress("signer"), "signer"));
        var storageLimit = MaxReceive("storage");
        var keyserviceLimit = MaxReceive("keyservice");
        var signerLimit = MaxReceive("signer");
        var jobId = "job-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var registrationKey = Ed25519KeyPair.Generate();
        using var registrationJwk = JsonWebKey.FromPublicKey(registrationKey.PublicKey);

        await using var watch = new MemoryWatch(stack, "storage", "keyservice", "signer", "edge");
        var calls = new (string Name, Func<Task> Call, StatusCode[] Expected)[]
        {
            ("storage PutResult (runner), just under", () => storageAsRunner.PutResultAsync(new StorageApi.PutResultRequest { JobId = jobId, OwnerIdentity = stack.Alice.Identity, SignedResult = "x", Output = Filler(storageLimit - 1024) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument, StatusCode.PermissionDenied, StatusCode.FailedPrecondition]),
            ("storage PutResult (runner), just over", () => storageAsRunner.PutResultAsync(new StorageApi.PutResultRequest { JobId = jobId, OwnerIdentity = stack.Alice.Identity, SignedResult = "x", Output = Filler(storageLimit + 1024) }, cancellationToken: Ct).ResponseAsync, [StatusCode.ResourceExhausted]),
            ("storage RegisterClient (operator), just under", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = new string('a', storageLimit - 1024) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("storage RegisterClient (operator), just over", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = new string('a', storageLimit + 1024) }, cancellationToken: Ct).ResponseAsync, [StatusCode.ResourceExhausted]),
            ("storage PublishKey (keyservice), just under", () => storageAsKeyservice.PublishKeyAsync(new StorageApi.PublishKeyRequest { Kid = registrationJwk.Thumbprint(), OwnerIdentity = "spiffe://strongroom/keyservice", Kind = StorageApi.KeyKind.RequestDecryption, KeyName = "x", Version = 1, JwkJson = "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + new string('A', storageLimit - 2048) + "\"}" }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("keyservice UnwrapMessageKey (runner), just under", () => keyservice.UnwrapMessageKeyAsync(new KeyServiceApi.UnwrapMessageKeyRequest { KeyName = "studioml", Payload = new string('A', keyserviceLimit - 1024) + ",AAAA", Fingerprint = "SHA256:x", Signature = "x" }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("keyservice UnwrapMessageKey (runner), just over", () => keyservice.UnwrapMessageKeyAsync(new KeyServiceApi.UnwrapMessageKeyRequest { KeyName = "studioml", Payload = new string('A', keyserviceLimit + 1024) }, cancellationToken: Ct).ResponseAsync, [StatusCode.ResourceExhausted]),
            ("keyservice GetPublicKey via edge, just over", () => keyserviceViaEdge.GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = new string('k', keyserviceLimit + 1024) }, cancellationToken: Ct).ResponseAsync, [StatusCode.ResourceExhausted]),
            ("keyservice GetPublicKey via edge, just under", () => keyserviceViaEdge.GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = new string('k', keyserviceLimit - 1024) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument, StatusCode.NotFound]),
            ("signer Sign (runner), just over", () => signer.SignAsync(new SignerApi.SignRequest { Payload = Filler(signerLimit + 1024), Detached = true }, cancellationToken: Ct).ResponseAsync, [StatusCode.ResourceExhausted]),
        };
        foreach (var (name, call, expected) in calls)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            CleanStatus.Assert(ex, Secrets, expected);
            InputLimitFigures.Record($"{name} → {ex.StatusCode}: {ex.Status.Detail}");
        }

        // A signature over megabytes is not a refusal the transport can make; the signer either signs or refuses it cleanly.
        try
        {
            var signed = await signer.SignAsync(new SignerApi.SignRequest { Payload = Filler(signerLimit - 1024), Detached = true }, cancellationToken: Ct);
            InputLimitFigures.Record($"signer Sign (runner), just under ({signerLimit - 1024} B payload, detached) → OK ({signed.Jws.Length} chars)");
        }
        catch (RpcException ex)
        {
            CleanStatus.Assert(ex, Secrets, StatusCode.InvalidArgument, StatusCode.ResourceExhausted);
            InputLimitFigures.Record($"signer Sign (runner), just under → {ex.StatusCode}: {ex.Status.Detail}");
        }

        var memory = await watch.StopAsync();
        // The calls run one after another, but the GC need not collect between them: two messages' worth may be live at once.
        RecordAndAssertMemory("oversized storage/keyservice/signer", memory, BoundFor(Math.Max(storageLimit, Math.Max(keyserviceLimit, signerLimit)), concurrent: 2));

        Assert.Equal(results, await CountResultsAsync());
        await AssertNotFoundAsync(storageAsOperator, jobId);
        await AssertNotPublishedAsync(registrationJwk.Thumbprint());
        await AssertHealthyAsync("storage", "keyservice", "signer", "edge");
    }

    [Fact]
    public async Task Huge_or_numerous_metadata_headers_are_refused_and_the_listener_keeps_serving()
    {
        var limits = ConfiguredLimits.Hosting(stack, "edge").Limits;
        var jwksViaEdge = new StorageApi.Storage.StorageClient(stack.ThroughEdge("alice"));
        var storageDirect = stack.StorageDirect("operator/admin");
        var floods = new (string Name, Metadata Headers)[]
        {
            ("one 1 MiB header", new Metadata { { "x-flood", new string('h', Mib) } }),
            ($"one header just over the field limit ({limits.MaxRequestHeaderFieldSize} B)", new Metadata { { "x-flood", new string('h', limits.MaxRequestHeaderFieldSize + 16) } }),
            ($"{limits.MaxRequestHeaderCount * 5} small headers", Many(limits.MaxRequestHeaderCount * 5, 20)),
            ($"headers totalling 4 × {limits.MaxRequestHeadersTotalSize} B", Many(64, limits.MaxRequestHeadersTotalSize / 16)),
        };

        await using var watch = new MemoryWatch(stack, "edge", "storage");
        foreach (var (target, client) in new[] { ("edge", jwksViaEdge), ("storage direct", storageDirect) })
        {
            foreach (var (name, headers) in floods)
            {
                var ex = await Assert.ThrowsAsync<RpcException>(() => client.GetJwksAsync(new StorageApi.GetJwksRequest(), headers, cancellationToken: Ct).ResponseAsync);
                // Kestrel refuses the header block (HTTP 431 or a stream reset): the client sees a transport status, never OK.
                Assert.Contains(ex.StatusCode, new[] { StatusCode.Internal, StatusCode.Unavailable, StatusCode.ResourceExhausted, StatusCode.Cancelled, StatusCode.Unknown });
                Assert.DoesNotContain("   at ", ex.Status.Detail, StringComparison.Ordinal);
                InputLimitFigures.Record($"headers {target}: {name} → {ex.StatusCode}: {Trim(ex.Status.Detail)}");

                // The same client (connection pool) is served right after.
                Assert.False(string.IsNullOrEmpty((await client.GetJwksAsync(new StorageApi.GetJwksRequest(), cancellationToken: Ct)).JwksJson));
            }
        }

        // Headers within the limits still pass.
        var ok = await jwksViaEdge.GetJwksAsync(new StorageApi.GetJwksRequest(), Many(limits.MaxRequestHeaderCount / 4, 64), cancellationToken: Ct);
        Assert.False(string.IsNullOrEmpty(ok.JwksJson));
        var memory = await watch.StopAsync();
        RecordAndAssertMemory("header floods", memory, BoundFor(limits.MaxRequestHeadersTotalSize, concurrent: 1));
        await AssertHealthyAsync("edge", "storage");
    }

    [Fact]
    public async Task Deeply_nested_json_and_protobuf_are_invalid_argument_without_stack_overflow_and_nothing_is_stored()
    {
        const int Depth = 10_000;
        var jobs = await CountJobsAsync();
        var viaEdge = stack.RunnerThroughEdge("demo");
        var storageAsOperator = stack.StorageDirect("operator/admin");
        var storageAsKeyservice = new StorageApi.Storage.StorageClient(stack.Invoker("keyservice", stack.PublicAddress("storage"), "storage"));
        var deep = DeepJson.Arrays(Depth);
        using var operatorKey = stack.Layout.LoadOperatorKey();
        using var operatorJwk = JsonWebKey.FromPublicKey(operatorKey.PublicKey);
        var newKey = Ed25519KeyPair.Generate();
        using var newJwk = JsonWebKey.FromPublicKey(newKey.PublicKey);

        await using var watch = new MemoryWatch(stack, "edge", "runner", "storage", "keyservice");
        var cases = new List<(string Name, Func<Task> Call, StatusCode[] Expected)>
        {
            ("StudioML message nested 10k deep", () => viaEdge.SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFromUtf8("{\"message\":" + deep + "}") }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("StudioML message member nested 10k deep", () => viaEdge.SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFromUtf8("{\"message\":{\"payload\":\"a,b\",\"fingerprint\":\"f\",\"signature\":\"s\",\"x\":" + deep + "}}") }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("envelope header: protobuf groups nested 10k deep", () =>
            {
                var envelope = stack.Envelope(stack.Alice, "cat", [1]);
                envelope.Header = ByteString.CopyFrom([.. envelope.Header.ToByteArray(), .. RawGrpc.NestedGroups(Depth)]);
                return stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct).ResponseAsync;
            }, [StatusCode.InvalidArgument]),
            ("envelope header: protobuf groups nested 900 deep (within the 4 KiB header)", () =>
            {
                var envelope = stack.Envelope(stack.Alice, "cat", [1]);
                envelope.Header = ByteString.CopyFrom([.. envelope.Header.ToByteArray(), .. RawGrpc.NestedGroups(900)]);
                return stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct).ResponseAsync;
            }, [StatusCode.InvalidArgument]),
            // The request message itself is parsed by gRPC before any Strongroom code runs: Google.Protobuf stops at
            // its recursion limit (100) and Grpc.AspNetCore answers UNKNOWN with a fixed text (see docs/reliability.md).
            ("Submit request itself: protobuf groups nested 10k deep (edge)", () => RawGrpc.UnaryAsync(stack.ThroughEdge("alice"), "/strongroom.runner.v1.Runner/Submit", RawGrpc.NestedGroups(Depth), Ct), [StatusCode.InvalidArgument, StatusCode.Unknown]),
            ("Storage RegisterClient request itself: protobuf groups nested 10k deep (operator)", () => RawGrpc.UnaryAsync(stack.Invoker("operator/admin", stack.PublicAddress("storage"), "storage"), "/strongroom.storage.v1.Storage/RegisterClient", RawGrpc.NestedGroups(Depth), Ct), [StatusCode.InvalidArgument, StatusCode.Unknown]),
            ("registration JWS payload nested 10k deep (operator-signed)", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest
            {
                RegistrationJws = Jws.SignCompact(operatorKey, operatorJwk.Thumbprint(), Encoding.UTF8.GetBytes("{\"identity\":\"spiffe://strongroom/client/deep\",\"signing_key\":" + deep + "}"), new JsonObject { ["typ"] = "strongroom-client-registration" }),
            }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("registration sealing JWK with a member nested 10k deep (operator-signed)", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest
            {
                RegistrationJws = Jws.SignCompact(operatorKey, operatorJwk.Thumbprint(), Encoding.UTF8.GetBytes(
                    "{\"identity\":\"spiffe://strongroom/client/deep\",\"signing_key\":\"" + OpenSsh.FormatAuthorizedKey(newKey.PublicKey) + "\",\"sealing_key\":{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + StrictBase64.EncodeUrl(new byte[32]) + "\",\"ext\":" + deep + "}}"),
                    new JsonObject { ["typ"] = "strongroom-client-registration" }),
            }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("registration JWS protected header nested 10k deep", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest
            {
                RegistrationJws = StrictBase64.EncodeUrl(Encoding.UTF8.GetBytes("{\"alg\":\"EdDSA\",\"kid\":\"" + operatorJwk.Thumbprint() + "\",\"x\":" + deep + "}")) + "." + StrictBase64.EncodeUrl("{}"u8) + "." + StrictBase64.EncodeUrl(new byte[64]),
            }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("PublishKey JWK nested 10k deep (keyservice)", () => storageAsKeyservice.PublishKeyAsync(new StorageApi.PublishKeyRequest { Kid = newJwk.Thumbprint(), OwnerIdentity = "spiffe://strongroom/keyservice", Kind = StorageApi.KeyKind.RequestDecryption, KeyName = "deep", Version = 1, JwkJson = "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":" + deep + "}" }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("keyservice Decapsulate: header groups nested 10k deep (runner)", () =>
            {
                var envelope = stack.Envelope(stack.Alice, "cat", [1]);
                envelope.Header = ByteString.CopyFrom([.. envelope.Header.ToByteArray(), .. RawGrpc.NestedGroups(Depth)]);
                return new KeyServiceApi.KeyService.KeyServiceClient(stack.Invoker("runner", stack.PublicAddress("keyservice"), "keyservice"))
                    .DecapsulateAsync(new KeyServiceApi.DecapsulateRequest { Envelope = envelope, ClientIdentity = stack.Alice.Identity }, cancellationToken: Ct).ResponseAsync;
            }, [StatusCode.InvalidArgument, StatusCode.PermissionDenied]),
        };
        foreach (var (name, call, expected) in cases)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            CleanStatus.Assert(ex, Secrets, expected);
            InputLimitFigures.Record($"deep: {name} → {ex.StatusCode}: {ex.Status.Detail}");
        }

        var memory = await watch.StopAsync();
        RecordAndAssertMemory("deep nesting", memory, BoundFor(256 * 1024, concurrent: 1));
        Assert.Equal(jobs, await CountJobsAsync());
        await AssertNotPublishedAsync(newJwk.Thumbprint());
        await AssertHealthyAsync("edge", "runner", "storage", "keyservice");
    }

    [Fact]
    public async Task Huge_base64_fields_are_refused_cleanly_before_decoding_with_bounded_memory()
    {
        var intakeLimit = ConfiguredLimits.RunnerMaxRequestBytes(stack);
        var keyserviceLimit = MaxReceive("keyservice");
        var jobs = await CountJobsAsync();
        var viaEdge = stack.RunnerThroughEdge("demo");
        var keyservice = new KeyServiceApi.KeyService.KeyServiceClient(stack.Invoker("runner", stack.PublicAddress("keyservice"), "keyservice"));
        var storageAsOperator = stack.StorageDirect("operator/admin");
        var fingerprint = OpenSsh.Fingerprint(stack.Demo.Signing.PublicKey);
        var box = Convert.ToBase64String(new byte[64]);
        var key = Convert.ToBase64String(new byte[512]);
        string StudioMl(string payload) => new JsonObject { ["message"] = new JsonObject { ["payload"] = payload, ["fingerprint"] = fingerprint, ["signature"] = Convert.ToBase64String(new byte[64]) } }.ToJsonString();
        // Canonical base64 of about n characters (a multiple of 4, so only its size is wrong).
        static string B64(int n) => new string('A', n / 4 * 4);

        await using var watch = new MemoryWatch(stack, "edge", "runner", "keyservice", "storage");
        var cases = new (string Name, Func<Task> Call, StatusCode[] Expected)[]
        {
            ("StudioML encrypted_key of ~¾ the intake limit", () => viaEdge.SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFromUtf8(StudioMl(B64(intakeLimit * 3 / 4) + "," + box)) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("StudioML payload box of ~¾ the intake limit, bad signature", () => viaEdge.SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFromUtf8(StudioMl(key + "," + B64(intakeLimit * 3 / 4))) }, cancellationToken: Ct).ResponseAsync, [StatusCode.PermissionDenied, StatusCode.InvalidArgument]),
            ("StudioML payload of 3 × the intake limit", () => viaEdge.SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFromUtf8(StudioMl(key + "," + B64(intakeLimit * 3))) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("StudioML base64 with a non-canonical tail, near the limit", () => viaEdge.SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFromUtf8(StudioMl(key + "," + B64(intakeLimit - 4096) + "AB==")) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("keyservice UnwrapMessageKey: encrypted_key of ~4 MiB (runner)", () => keyservice.UnwrapMessageKeyAsync(new KeyServiceApi.UnwrapMessageKeyRequest { KeyName = "studioml", Payload = B64(keyserviceLimit - 2048) + "," + box, Fingerprint = fingerprint, Signature = Convert.ToBase64String(new byte[64]) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("keyservice UnwrapMessageKey: box of ~4 MiB (runner)", () => keyservice.UnwrapMessageKeyAsync(new KeyServiceApi.UnwrapMessageKeyRequest { KeyName = "studioml", Payload = key + "," + B64(keyserviceLimit - 2048), Fingerprint = fingerprint, Signature = Convert.ToBase64String(new byte[64]) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument, StatusCode.PermissionDenied]),
            ("registration JWS payload segment just under storage's 64 KiB", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = "eyJhbGciOiJFZERTQSJ9." + new string('A', (64 * 1024) - 200) + "." + StrictBase64.EncodeUrl(new byte[64]) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument, StatusCode.PermissionDenied]),
            ("registration JWS payload segment of ~4 MiB", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = "eyJhbGciOiJFZERTQSJ9." + new string('A', MaxReceive("storage") - 2048) + "." + StrictBase64.EncodeUrl(new byte[64]) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
            ("registration JWS header segment of ~60 KiB", () => storageAsOperator.RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = new string('A', 60 * 1024) + ".e30." + StrictBase64.EncodeUrl(new byte[64]) }, cancellationToken: Ct).ResponseAsync, [StatusCode.InvalidArgument]),
        };
        foreach (var (name, call, expected) in cases)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            CleanStatus.Assert(ex, Secrets, expected);
            InputLimitFigures.Record($"base64: {name} → {ex.StatusCode}: {ex.Status.Detail}");
        }

        var memory = await watch.StopAsync();
        RecordAndAssertMemory("huge base64", memory, BoundFor(keyserviceLimit, concurrent: 1));
        Assert.Equal(jobs, await CountJobsAsync());
        await AssertHealthyAsync("edge", "runner", "keyservice", "storage");
    }

    [Fact]
    public async Task Tls_handshakes_that_never_complete_are_closed_within_the_handshake_timeout_while_others_are_served()
    {
        var timeout = ConfiguredLimits.Hosting(stack, "edge").Tls.HandshakeTimeout;
        Assert.Equal(timeout, ConfiguredLimits.Hosting(stack, "storage").Tls.HandshakeTimeout);
        var slack = TimeSpan.FromSeconds(5);
        const int PerTarget = 40;
        var sockets = new List<Socket>();
        var waits = new List<(string Kind, Task<TimeSpan?> Closed)>();
        var clock = Stopwatch.StartNew();
        await using var watch = new MemoryWatch(stack, "edge", "storage");
        foreach (var target in new[] { "edge", "storage" })
        {
            var endpoint = SlowClients.EndPoint(stack.PublicAddress(target));
            for (var i = 0; i < PerTarget; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(endpoint, Ct);
                if (i % 2 == 0)
                {
                    // Silent: TCP open, nothing sent.
                    waits.Add((target + " silent", SlowClients.TimeUntilClosedAsync(socket, clock, timeout + slack + slack)));
                }
                else
                {
                    // Dribbling: a ClientHello record header, then one byte a second.
                    var hello = SlowClients.PartialClientHello();
                    await socket.SendAsync(hello, SocketFlags.None, Ct);
                    waits.Add((target + " dribbling ClientHello", SlowClients.TimeUntilClosedAsync(socket, clock, timeout + slack + slack, async () =>
                    {
                        await Task.Delay(1000);
                        await socket.SendAsync(new byte[] { 0x41 }, SocketFlags.None);
                    })));
                }
            }
        }

        // Meanwhile other clients are served, through the edge and directly, on fresh connections.
        var (ok, failed) = await ServeOthersAsync(clock, timeout);
        var closed = await Task.WhenAll(waits.Select(w => w.Closed));
        foreach (var s in sockets)
        {
            s.Dispose();
        }

        foreach (var group in waits.Zip(closed).GroupBy(w => w.First.Kind))
        {
            var times = group.Select(g => g.Second).ToList();
            var max = times.Max(t => t ?? TimeSpan.MaxValue);
            InputLimitFigures.Record($"slowloris TLS: {group.Count()} × {group.Key} → closed by the server after at most {(times.Any(t => t is null) ? "never" : max.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s")} (handshake timeout {timeout.TotalSeconds:0} s)");
            Assert.All(times, t => Assert.True(t is not null && t <= timeout + slack, $"{group.Key}: still open or closed late ({t})"));
        }

        InputLimitFigures.Record($"slowloris TLS: other clients meanwhile: {ok} calls OK, {failed} failed");
        Assert.Equal(0, failed);
        Assert.True(ok > 0);
        var memory = await watch.StopAsync();
        RecordAndAssertMemory("slowloris TLS", memory, BoundFor(256 * 1024, concurrent: 1));
        await AssertHealthyAsync("edge", "storage");
    }

    [Fact]
    public async Task A_request_body_dribbled_a_few_bytes_a_second_is_ended_by_the_minimum_data_rate_and_nothing_is_queued()
    {
        var limits = ConfiguredLimits.Hosting(stack, "runner").Limits;
        var jobs = await CountJobsAsync();
        // Rate, grace and Kestrel's 1 s heartbeat, plus room for a loaded machine.
        var bound = limits.MinDataRateGracePeriod + TimeSpan.FromSeconds(10);
        using var toEdge = SlowClients.Http2Client(stack, "client/alice", "edge");
        using var toRunner = SlowClients.Http2Client(stack, "client/alice", "runner");
        using var toStorage = SlowClients.Http2Client(stack, "client/alice", "storage");
        await using var watch = new MemoryWatch(stack, "edge", "runner", "storage");
        var clock = Stopwatch.StartNew();
        var dribbles = new[]
        {
            ("edge Submit", SlowClients.DribbleBodyAsync(toEdge, stack.Layout.EdgeAddress, "/strongroom.runner.v1.Runner/Submit", 64 * 1024, 4, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(45))),
            ("runner direct Submit", SlowClients.DribbleBodyAsync(toRunner, stack.PublicAddress("runner"), "/strongroom.runner.v1.Runner/Submit", 64 * 1024, 4, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(45))),
            ("storage direct GetJwks", SlowClients.DribbleBodyAsync(toStorage, stack.PublicAddress("storage"), "/strongroom.storage.v1.Storage/GetJwks", 64 * 1024, 4, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(45))),
        };
        // Other clients' calls to the runner through the edge share the edge's connection to the runner with the dribbled Submit.
        var sharing = Enumerable.Range(0, 6).Select(_ => RunnerCallsViaEdgeAsync("bob", clock, limits.MinDataRateGracePeriod + TimeSpan.FromSeconds(4))).ToList();
        var (ok, failed) = await ServeOthersAsync(clock, limits.MinDataRateGracePeriod + TimeSpan.FromSeconds(2));
        var shared = await Task.WhenAll(sharing);
        InputLimitFigures.Record($"slow body: other clients' runner calls through the edge meanwhile: {shared.Sum(r => r.Ok)} OK, {shared.Sum(r => r.Failed.Count)} failed {string.Join("; ", shared.SelectMany(r => r.Failed).Distinct().Take(3))}");
        foreach (var (name, task) in dribbles)
        {
            var (elapsed, outcome, sent) = await task;
            InputLimitFigures.Record($"slow body: {name} at 8 B/s (min {limits.MinRequestBodyBytesPerSecond} B/s after {limits.MinDataRateGracePeriod.TotalSeconds:0} s) → ended after {elapsed.TotalSeconds:0.0} s, {sent} B sent: {outcome}");
            Assert.True(elapsed <= bound, $"{name} still open after {elapsed.TotalSeconds:0.0} s: {outcome}");
            Assert.DoesNotContain("grpc-status 0", outcome, StringComparison.Ordinal);
        }

        InputLimitFigures.Record($"slow body: other clients meanwhile: {ok} calls OK, {failed} failed");
        Assert.Equal(0, failed);
        var memory = await watch.StopAsync();
        RecordAndAssertMemory("slow body", memory, BoundFor(256 * 1024, concurrent: 1));
        Assert.Equal(jobs, await CountJobsAsync());
        await AssertHealthyAsync("edge", "runner", "storage");
    }

    [Fact]
    public async Task Idle_connections_beyond_the_connection_limit_are_closed_at_once_and_open_clients_keep_being_served()
    {
        var hosting = ConfiguredLimits.Hosting(stack, "edge");
        var limit = hosting.Limits.MaxConcurrentConnections;
        const int Excess = 64;
        var endpoint = SlowClients.EndPoint(stack.Layout.EdgeAddress);
        // A client whose connection is already open (pooled) before the flood.
        var served = new StorageApi.Storage.StorageClient(stack.ThroughEdge("bob"));
        await served.GetJwksAsync(new StorageApi.GetJwksRequest(), cancellationToken: Ct);

        await using var watch = new MemoryWatch(stack, "edge");
        var clock = Stopwatch.StartNew();
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < limit + Excess; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(endpoint, Ct);
            }

            var opened = clock.Elapsed;
            var waits = sockets.Select(s => SlowClients.TimeUntilClosedAsync(s, clock, hosting.Tls.HandshakeTimeout + TimeSpan.FromSeconds(10))).ToList();

            // Within 2 s of the last connect: the excess (plus whatever the already-open legitimate connections take) is closed.
            await Task.Delay(TimeSpan.FromSeconds(2), Ct);
            var closedEarly = waits.Count(w => w.IsCompleted && w.Result is not null);
            var (ok, failed) = await ServeOthersAsync(clock, TimeSpan.FromSeconds(3), onlyOpen: served);
            var closed = await Task.WhenAll(waits);
            var lastClosed = closed.Max(t => t ?? TimeSpan.MaxValue);
            InputLimitFigures.Record($"idle flood: {limit + Excess} TCP connections to the edge (MaxConcurrentConnections {limit}) opened in {opened.TotalSeconds:0.0} s → {closedEarly} closed at once, the rest after at most {(closed.Any(t => t is null) ? "never" : (lastClosed - opened).TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s")}; an already-connected client meanwhile: {ok} OK, {failed} failed");
            // At least the excess is refused (more when other suites' connections are still open), and not everything.
            Assert.InRange(closedEarly, Excess, limit / 2);
            Assert.All(closed, t => Assert.True(t is not null, "an idle connection was never closed"));
            Assert.True(lastClosed - opened <= hosting.Tls.HandshakeTimeout + TimeSpan.FromSeconds(5), $"idle connections held for {(lastClosed - opened).TotalSeconds:0.0} s");
            Assert.Equal(0, failed);
            Assert.True(ok > 0);
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }

        var memory = await watch.StopAsync();
        // Per pending connection Kestrel holds its socket, pipes and a TLS state: about 64 KiB at most.
        RecordAndAssertMemory("idle flood", memory, 64L * Mib + (limit * 64 * 1024));

        // A new connection is served once the flood is gone.
        using var connections = new Strongroom.Operator.ServiceConnections(stack.Layout.Pki, "client/alice");
        var fresh = new StorageApi.Storage.StorageClient(connections.To(stack.Layout.EdgeAddress, "edge"));
        Assert.False(string.IsNullOrEmpty((await fresh.GetJwksAsync(new StorageApi.GetJwksRequest(), cancellationToken: Ct)).JwksJson));
        await AssertHealthyAsync("edge");
    }

    /// <summary>
    /// Peak RSS growth allowed while an attack runs: a few copies of the largest message each of the
    /// concurrent calls may legitimately buffer (gRPC's read buffer, the message, its parse) plus
    /// 64 MiB for the runtime (GC heap growth, thread stacks, TLS buffers).
    /// </summary>
    private static long BoundFor(long largestMessage, int concurrent) => (64L * Mib) + (4L * largestMessage * concurrent);

    private static void RecordAndAssertMemory(string attack, IReadOnlyList<MemoryFigure> figures, long bound)
    {
        foreach (var f in figures)
        {
            InputLimitFigures.Record($"memory {attack}: {f} (bound +{MemoryFigure.Mib(bound)})");
        }

        Assert.All(figures, f => Assert.True(f.PeakGrowth < bound, $"{attack}: {f} exceeds +{MemoryFigure.Mib(bound)}"));
    }

    /// <summary>Other clients calling through the edge and directly while an attack runs, until <paramref name="duration"/> on <paramref name="clock"/>.</summary>
    /// <remarks>Without <paramref name="onlyOpen"/>, every round opens new connections (new handshakes), as a client arriving during the attack would.</remarks>
    private async Task<(int Ok, int Failed)> ServeOthersAsync(Stopwatch clock, TimeSpan duration, StorageApi.Storage.StorageClient? onlyOpen = null)
    {
        int ok = 0, failed = 0;
        var end = clock.Elapsed + duration;
        while (clock.Elapsed < end)
        {
            using var bob = new Strongroom.Operator.ServiceConnections(stack.Layout.Pki, "client/bob");
            using var admin = new Strongroom.Operator.ServiceConnections(stack.Layout.Pki, "operator/admin");
            var clients = onlyOpen is not null
                ? [onlyOpen]
                : new[] { new StorageApi.Storage.StorageClient(bob.To(stack.Layout.EdgeAddress, "edge")), new StorageApi.Storage.StorageClient(admin.To(stack.PublicAddress("storage"), "storage")) };
            foreach (var c in clients)
            {
                try
                {
                    await c.GetJwksAsync(new StorageApi.GetJwksRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: Ct);
                    ok++;
                }
                catch (RpcException ex)
                {
                    failed++;
                    InputLimitFigures.Record($"  served client failed: {ex.StatusCode} {Trim(ex.Status.Detail)}");
                }
            }

            await Task.Delay(200, Ct);
        }

        return (ok, failed);
    }

    /// <summary>GetJob calls (NOT_FOUND is an answer) through the edge as <paramref name="client"/>, back to back, until <paramref name="duration"/>.</summary>
    private async Task<(int Ok, List<string> Failed)> RunnerCallsViaEdgeAsync(string client, Stopwatch clock, TimeSpan duration)
    {
        var runner = stack.RunnerThroughEdge(client);
        var failed = new List<string>();
        var ok = 0;
        while (clock.Elapsed < duration)
        {
            try
            {
                await runner.GetJobAsync(new GetJobRequest { JobId = "job-" + new string('0', 32) }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: Ct);
                ok++;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                ok++;
            }
            catch (RpcException ex)
            {
                failed.Add($"{ex.StatusCode} {Trim(ex.Status.Detail)}");
            }

            await Task.Delay(20, Ct);
        }

        return (ok, failed);
    }

    private async Task<int> CountJobsAsync()
    {
        var admin = stack.RunnerAdmin();
        var count = 0;
        var token = "";
        do
        {
            var page = await admin.ListJobsAsync(new ListJobsRequest { PageSize = 1000, PageToken = token }, cancellationToken: Ct);
            count += page.Jobs.Count;
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return count;
    }

    private async Task<int> CountResultsAsync()
    {
        var storage = stack.StorageDirect("operator/admin");
        var count = 0;
        var token = "";
        do
        {
            var page = await storage.ListResultsAsync(new StorageApi.ListResultsRequest { PageSize = 1000, PageToken = token }, cancellationToken: Ct);
            count += page.Results.Count;
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return count;
    }

    private static async Task AssertNotFoundAsync(StorageApi.Storage.StorageClient storage, string jobId)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => storage.GetResultAsync(new StorageApi.GetResultRequest { JobId = jobId }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    private async Task AssertNotPublishedAsync(string kid)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => stack.StorageDirect("operator/admin").LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = kid }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    /// <summary>gRPC health SERVING on each service's public listener, on a fresh call.</summary>
    private async Task AssertHealthyAsync(params string[] services)
    {
        foreach (var service in services)
        {
            // The edge's public listener serves clients only.
            var invoker = stack.Invoker(service == "edge" ? "client/alice" : "operator/admin", stack.PublicAddress(service), service);
            var response = await RawGrpc.UnaryAsync(invoker, "/grpc.health.v1.Health/Check", [], Ct);
            Assert.Equal(new byte[] { 0x08, 0x01 }, response); // status: SERVING
        }
    }

    private static ByteString Filler(int size) => ByteString.CopyFrom(new byte[size]);

    private static Metadata Many(int count, int valueLength)
    {
        var headers = new Metadata();
        for (var i = 0; i < count; i++)
        {
            headers.Add("x-flood-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), new string('v', valueLength));
        }

        return headers;
    }

    private static string Trim(string? text) => text is null ? "" : text.Length > 160 ? text[..160] + "…" : text;
}
