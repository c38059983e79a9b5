using System.Collections.Concurrent;
using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Resilience.Tests.Support;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using ReflectionV1 = Grpc.Reflection.V1;
using RunnerApi = Strongroom.Runner.V1;
using SignerApi = Strongroom.Signer.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Resilience.Tests;

/// <summary>
/// Every RPC of every service — enumerated from the generated service descriptors, and checked
/// against what each real listener announces through server reflection, so a new method or service
/// is covered (or fails asking for a row) automatically — called with an empty request by every
/// identity, on each service's public and admin listener and through the edge, against the whole
/// stack as real processes. Only DESIGN.md §2's rows (written out below, not read from any
/// appsettings) get past authorization; everyone else gets PERMISSION_DENIED.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class AuthorizationSweepTests(ResilienceStack stack)
{
    private static readonly string[] Identities = ["kms", "keyservice", "signer", "storage", "runner", "edge", "client/alice", "operator/admin"];

    /// <summary>"Any authenticated caller": the edge is a router, never a principal (DESIGN §2), so it is not in here.</summary>
    private static readonly string[] Any = ["kms", "keyservice", "signer", "storage", "runner", "client/alice", "operator/admin"];

    private static readonly string[] Operators = ["operator/admin"];

    private static readonly ServiceDescriptor[] Defaults =
    [
        Grpc.Health.V1.Health.Descriptor, ReflectionV1.ServerReflection.Descriptor, Grpc.Reflection.V1Alpha.ServerReflection.Descriptor, Strongroom.Audit.V1.AuditLog.Descriptor,
    ];

    /// <summary>Each process and the Strongroom / Cloud KMS services it serves (besides <see cref="Defaults"/>).</summary>
    private static readonly Dictionary<string, ServiceDescriptor[]> Served = new(StringComparer.Ordinal)
    {
        ["kms"] = [KeyManagementService.Descriptor],
        // KeyAdmin is the one key-admin API: both key custodians serve it on their admin listeners.
        ["keyservice"] = [KeyServiceApi.KeyService.Descriptor, KeyServiceApi.KeyServiceAdmin.Descriptor, KeyAdminApi.KeyAdmin.Descriptor],
        ["signer"] = [SignerApi.Signer.Descriptor, SignerApi.SignerAdmin.Descriptor, KeyAdminApi.KeyAdmin.Descriptor],
        ["storage"] = [StorageApi.Storage.Descriptor, StorageApi.StorageAdmin.Descriptor],
        ["runner"] = [RunnerApi.Runner.Descriptor, RunnerApi.RunnerAdmin.Descriptor],
        ["edge"] = [],
    };

    private static IEnumerable<MethodDescriptor> AllMethods =>
        Served.Values.SelectMany(s => s).Concat(Defaults).Distinct().SelectMany(s => s.Methods);

    /// <summary>One row of DESIGN.md §2 (and docs/contracts.md): who may call it, whether it is admin-listener only, whether the edge routes it.</summary>
    private sealed record Row(string[] Allowed, bool Admin, bool ClientFacing);

    private static Row Expect(MethodDescriptor m) => (m.Service.FullName, m.Name) switch
    {
        ("strongroom.keyservice.v1.KeyService", "GetPublicKey" or "ListPublicKeys") => new(Any, false, true),
        ("strongroom.keyservice.v1.KeyService", "UnwrapMessageKey" or "Decapsulate" or "CompleteRequest") => new(["runner"], false, false),
        ("strongroom.keyservice.v1.KeyServiceAdmin", _) => new(Operators, true, false),
        ("strongroom.keyadmin.v1.KeyAdmin", _) => new(Operators, true, false),
        ("strongroom.signer.v1.Signer", "Sign" or "SignStream" or "SignBatch") => new(["runner", "operator/admin"], false, false),
        ("strongroom.signer.v1.Signer", "SignCheckpoint") => new(["storage"], false, false),
        ("strongroom.signer.v1.Signer", "Verify" or "GetJwks" or "GetLatestCheckpoint") => new(Any, false, false),
        ("strongroom.signer.v1.SignerAdmin", _) => new(Operators, true, false),
        ("strongroom.storage.v1.Storage", "PutResult") => new(["runner"], false, false),
        ("strongroom.storage.v1.Storage", "GetResult" or "ListResults") => new(["client/alice", "operator/admin"], false, true),
        ("strongroom.storage.v1.Storage", "PublishKey" or "PublishKeyEvent") => new(["keyservice", "signer"], false, false),
        ("strongroom.storage.v1.Storage", "RegisterClient") => new(Operators, false, false),
        ("strongroom.storage.v1.Storage", "GetKeyLogEntries" or "GetCheckpoint" or "GetInclusionProof" or "GetConsistencyProof" or "GetJwks" or "LookupKey") => new(Any, false, true),
        ("strongroom.storage.v1.StorageAdmin", _) => new(Operators, true, false),
        ("strongroom.runner.v1.Runner", "Submit") => new(["client/alice"], false, true),
        ("strongroom.runner.v1.Runner", "GetJob" or "WatchJob") => new(["client/alice", "operator/admin"], false, true),
        ("strongroom.runner.v1.RunnerAdmin", _) => new(Operators, true, false),
        ("google.cloud.kms.v1.KeyManagementService", "Encrypt" or "Decrypt") => new(["keyservice", "signer"], true, false),
        ("google.cloud.kms.v1.KeyManagementService", _) => new(["keyservice", "signer", "operator/admin"], true, false),
        ("grpc.health.v1.Health", _) => new(Any, false, false),
        ("grpc.reflection.v1.ServerReflection" or "grpc.reflection.v1alpha.ServerReflection", _) => new(Any, false, false),
        ("strongroom.audit.v1.AuditLog", "GetAuditHead") => new(Operators, true, false),
        _ => throw new InvalidOperationException($"no DESIGN §2 row for {m.FullName}: add a row to {nameof(AuthorizationSweepTests)}.{nameof(Expect)}"),
    };

    private enum Outcome
    {
        /// <summary>Past authorization: anything but PERMISSION_DENIED / UNAUTHENTICATED / UNIMPLEMENTED.</summary>
        Pass,

        /// <summary>PERMISSION_DENIED.</summary>
        Denied,

        /// <summary>PERMISSION_DENIED or UNIMPLEMENTED (the edge does not route it).</summary>
        Refused,

        /// <summary>Not asserted (a public method on the admin listener to an identity its row allows).</summary>
        Either,
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Backends() => ["kms", "keyservice", "signer", "storage", "runner"];

    [Fact]
    public void Every_method_of_every_service_has_a_design_row()
    {
        var missing = new List<string>();
        foreach (var m in AllMethods)
        {
            try
            {
                _ = Expect(m);
            }
            catch (InvalidOperationException ex)
            {
                missing.Add(ex.Message);
            }
        }

        Assert.True(missing.Count == 0, string.Join("\n", missing));
        Assert.True(AllMethods.Count() > 60, "the descriptors enumerate every method");
    }

    [Theory]
    [InlineData("kms")]
    [InlineData("keyservice")]
    [InlineData("signer")]
    [InlineData("storage")]
    [InlineData("runner")]
    [InlineData("edge")]
    public async Task Every_listener_serves_exactly_the_services_the_sweep_covers(string service)
    {
        var expected = Served[service].Concat(Defaults).Select(s => s.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var address in new[] { stack.PublicAddress(service), stack.AdminAddress(service) })
        {
            // The edge's public listener serves clients only; its admin listener serves operators.
            var identity = service == "edge" && address == stack.PublicAddress("edge") ? "client/alice" : "operator/admin";
            var listed = await ListServicesAsync(stack.Invoker(identity, address, service));
            var unknown = listed.Where(s => !expected.Contains(s)).ToList();
            Assert.True(unknown.Count == 0, $"{service} at {address} serves {string.Join(", ", unknown)}: add its descriptor to {nameof(Served)} and rows to {nameof(Expect)}");
            var absent = expected.Where(s => !listed.Contains(s)).ToList();
            Assert.True(absent.Count == 0, $"{service} at {address} does not serve {string.Join(", ", absent)}");
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Only_the_identities_design_allows_pass_authorization_on_each_listener(string service)
    {
        var methods = Served[service].Concat(Defaults).SelectMany(s => s.Methods).ToList();
        var cases = new List<(string Identity, string Listener, MethodDescriptor Method, Outcome Expected)>();
        foreach (var m in methods)
        {
            var row = Expect(m);
            foreach (var identity in Identities)
            {
                var allowed = row.Allowed.Contains(identity);
                cases.Add((identity, "public", m, !allowed || row.Admin ? Outcome.Denied : Outcome.Pass));
                cases.Add((identity, "admin", m, !allowed ? Outcome.Denied : row.Admin ? Outcome.Pass : Outcome.Either));
            }
        }

        var failures = await RunAsync(service, cases.Select(c => (c.Identity, c.Listener == "public" ? stack.PublicAddress(service) : stack.AdminAddress(service), service, c.Method, (Metadata?)null, c.Expected, $"{c.Listener} {c.Identity}")));
        Assert.True(failures.Count == 0, $"{service}: {failures.Count} of {cases.Count} calls disagree with DESIGN §2:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task Through_the_edge_only_client_identities_reach_only_client_facing_methods()
    {
        var cases = new List<(string, string, string, MethodDescriptor, Metadata?, Outcome, string)>();
        foreach (var m in AllMethods)
        {
            var row = Expect(m);
            var ownDefault = Defaults.Contains(m.Service);
            foreach (var identity in Identities)
            {
                var isClient = identity.StartsWith("client/", StringComparison.Ordinal);

                // Public listener: clients only; backends' client-facing methods routed, the edge's own health and reflection answered.
                var onPublic = !isClient ? Outcome.Denied
                    : row.ClientFacing || (ownDefault && !row.Admin) ? Outcome.Pass
                    : Outcome.Refused;
                cases.Add((identity, stack.PublicAddress("edge"), "edge", m, null, onPublic, "edge public " + identity));

                // Admin listener: the edge's own methods by their rows; it forwards nothing.
                var onAdmin = !ownDefault ? Outcome.Refused : row.Allowed.Contains(identity) ? Outcome.Pass : Outcome.Denied;
                cases.Add((identity, stack.AdminAddress("edge"), "edge", m, null, onAdmin, "edge admin " + identity));
            }
        }

        var failures = await RunAsync("edge", cases);
        Assert.True(failures.Count == 0, $"edge: {failures.Count} of {cases.Count} calls disagree with DESIGN §2:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_forwarded_identity_is_believed_only_from_the_edge_for_a_client_on_a_client_facing_public_method(string service)
    {
        var cases = new List<(string, string, string, MethodDescriptor, Metadata?, Outcome, string)>();
        foreach (var m in Served[service].Concat(Defaults).SelectMany(s => s.Methods))
        {
            var row = Expect(m);
            foreach (var (peer, claimed) in new[] { ("edge", "client/alice"), ("edge", "operator/admin"), ("edge", "runner"), ("runner", "client/alice"), ("operator/admin", "client/alice"), ("client/alice", "client/alice") })
            {
                var headers = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, "spiffe://strongroom/" + claimed } };
                var believed = peer == "edge" && claimed.StartsWith("client/", StringComparison.Ordinal) && row.ClientFacing && row.Allowed.Contains(claimed);
                cases.Add((peer, stack.PublicAddress(service), service, m, headers, believed ? Outcome.Pass : Outcome.Denied, $"public {peer} claiming {claimed}"));
                cases.Add((peer, stack.AdminAddress(service), service, m, headers, Outcome.Denied, $"admin {peer} claiming {claimed}"));
            }
        }

        var failures = await RunAsync(service, cases);
        Assert.True(failures.Count == 0, $"{service}: {failures.Count} of {cases.Count} forwarded-identity calls disagree with DESIGN §2:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task The_kms_lets_only_the_bound_identity_use_or_inspect_a_kek()
    {
        var operatorKms = new KeyManagementService.KeyManagementServiceClient(stack.Invoker("operator/admin", stack.AdminAddress("kms"), "kms"));
        foreach (var (owner, other) in new[] { ("keyservice", "signer"), ("signer", "keyservice") })
        {
            var ring = $"projects/strongroom/locations/local/keyRings/{owner}";
            var keys = await operatorKms.ListCryptoKeysAsync(new ListCryptoKeysRequest { Parent = ring }, cancellationToken: Ct);
            Assert.NotEmpty(keys.CryptoKeys);
            var kek = keys.CryptoKeys[0].Name;

            var ownerKms = new KeyManagementService.KeyManagementServiceClient(stack.Invoker(owner, stack.AdminAddress("kms"), "kms"));
            var wrapped = await ownerKms.EncryptAsync(new EncryptRequest { Name = kek, Plaintext = ByteString.CopyFrom(new byte[32]) }, cancellationToken: Ct);
            Assert.NotEmpty(wrapped.Ciphertext);

            var otherKms = new KeyManagementService.KeyManagementServiceClient(stack.Invoker(other, stack.AdminAddress("kms"), "kms"));
            var calls = new (string What, Func<Task> Call)[]
            {
                ($"{other} Encrypt", () => otherKms.EncryptAsync(new EncryptRequest { Name = kek, Plaintext = ByteString.CopyFrom(new byte[32]) }, cancellationToken: Ct).ResponseAsync),
                ($"{other} Decrypt", () => otherKms.DecryptAsync(new DecryptRequest { Name = kek, Ciphertext = wrapped.Ciphertext }, cancellationToken: Ct).ResponseAsync),
                ($"{other} GetCryptoKey", () => otherKms.GetCryptoKeyAsync(new GetCryptoKeyRequest { Name = kek }, cancellationToken: Ct).ResponseAsync),
                ($"{other} CreateCryptoKeyVersion", () => otherKms.CreateCryptoKeyVersionAsync(new CreateCryptoKeyVersionRequest { Parent = kek }, cancellationToken: Ct).ResponseAsync),
                ("operator Decrypt", () => operatorKms.DecryptAsync(new DecryptRequest { Name = kek, Ciphertext = wrapped.Ciphertext }, cancellationToken: Ct).ResponseAsync),
            };
            foreach (var (what, call) in calls)
            {
                var refused = await Assert.ThrowsAsync<RpcException>(call);
                Assert.True(refused.StatusCode == StatusCode.PermissionDenied, $"{what} on {kek}: {refused.StatusCode} {refused.Status.Detail}");
            }
        }
    }

    private async Task<List<string>> RunAsync(string service, IEnumerable<(string Identity, string Address, string Service, MethodDescriptor Method, Metadata? Headers, Outcome Expected, string Label)> cases)
    {
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (c, _) =>
        {
            var (status, detail) = await CallAsync(stack.Invoker(c.Identity, c.Address, c.Service), c.Method, c.Headers);
            var ok = c.Expected switch
            {
                Outcome.Pass => status is not (StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.Unimplemented),
                Outcome.Denied => status == StatusCode.PermissionDenied,
                Outcome.Refused => status is StatusCode.PermissionDenied or StatusCode.Unimplemented,
                _ => true,
            };
            if (!ok)
            {
                failures.Add($"  {c.Method.FullName} {c.Label}: expected {c.Expected}, got {status} ({detail})");
            }
        });
        _ = service;
        return failures.OrderBy(f => f, StringComparer.Ordinal).ToList();
    }

    /// <summary>Calls the method with an empty request (any streaming shape); OK when it succeeded or a stream stayed open.</summary>
    private static async Task<(StatusCode Status, string Detail)> CallAsync(CallInvoker invoker, MethodDescriptor descriptor, Metadata? headers)
    {
        var type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var method = new Method<IMessage, IMessage>(type, descriptor.Service.FullName, descriptor.Name, Marshaller(descriptor.InputType), Marshaller(descriptor.OutputType));
        var request = descriptor.InputType.Parser.ParseFrom(ByteString.Empty);
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(type == MethodType.Unary ? 30 : 10), Ct);
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(method, null, options, request);
                    break;
                case MethodType.ServerStreaming:
                    {
                        using var call = invoker.AsyncServerStreamingCall(method, null, options, request);
                        await call.ResponseStream.MoveNext(Ct);
                        break;
                    }

                case MethodType.ClientStreaming:
                    {
                        using var call = invoker.AsyncClientStreamingCall(method, null, options);
                        await WriteOnceAsync(call.RequestStream, request);
                        await call.ResponseAsync;
                        break;
                    }

                default:
                    {
                        using var call = invoker.AsyncDuplexStreamingCall(method, null, options);
                        await WriteOnceAsync(call.RequestStream, request);
                        while (await call.ResponseStream.MoveNext(Ct))
                        {
                        }

                        break;
                    }
            }

            return (StatusCode.OK, "");
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded && type != MethodType.Unary)
        {
            // An allowed stream (health Watch) stays open until the deadline.
            return (StatusCode.OK, "stream open");
        }
        catch (RpcException ex)
        {
            return (ex.StatusCode, ex.Status.Detail);
        }
    }

    /// <summary>Sends one message and ends the request stream; a server that already answered with a status makes the write fail, and the status is read from the response side.</summary>
    private static async Task WriteOnceAsync(IClientStreamWriter<IMessage> stream, IMessage request)
    {
        try
        {
            await stream.WriteAsync(request, Ct);
            await stream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The response side carries the server's status.
        }
        catch (InvalidOperationException)
        {
            // Same: the call already completed.
        }
    }

    private static async Task<HashSet<string>> ListServicesAsync(CallInvoker invoker)
    {
        var client = new ReflectionV1.ServerReflection.ServerReflectionClient(invoker);
        using var call = client.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: Ct);
        await call.RequestStream.WriteAsync(new ReflectionV1.ServerReflectionRequest { ListServices = "" }, Ct);
        await call.RequestStream.CompleteAsync();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (await call.ResponseStream.MoveNext(Ct))
        {
            foreach (var s in call.ResponseStream.Current.ListServicesResponse?.Service ?? [])
            {
                names.Add(s.Name);
            }
        }

        return names;
    }

    private static Marshaller<IMessage> Marshaller(MessageDescriptor type) =>
        Marshallers.Create(m => m.ToByteArray(), bytes => type.Parser.ParseFrom(bytes));
}
