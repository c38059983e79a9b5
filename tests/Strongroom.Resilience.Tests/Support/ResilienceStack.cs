using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Client;
using Strongroom.Crypto;
using Strongroom.Operator;
using Strongroom.Requests;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using Strongroom.Testing;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Resilience.Tests.Support;

/// <summary>A registered experimenter whose private keys the test generated (and so can search for on disk).</summary>
public sealed record TestClient(string Name, Ed25519KeyPair Signing, string SigningKid, X25519KeyPair Sealing, string SealingKid)
{
    public string Identity => "spiffe://strongroom/client/" + Name;
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<ResilienceStack>
{
    public const string Name = "resilience-stack";
}

/// <summary>
/// All six services as real processes on 127.0.0.1 (the DevStack `strongroom dev up` uses) on a free
/// block of shifted ports and a private state folder: keys `requests` (X25519) and `studioml` (the
/// fixture RSA key imported), clients registered, a fast `cat` job, a 3 s runner lease. Shared by
/// every suite of this project; the suites run one after another (one collection).
/// </summary>
public sealed class ResilienceStack : IAsyncLifetime
{
    public static readonly string[] Services = ["kms", "keyservice", "signer", "storage", "runner", "edge"];

    private readonly StringWriter _log = new();
    private readonly ConcurrentDictionary<(string Identity, string Address), CallInvoker> _invokers = new();
    private readonly ConcurrentDictionary<string, ServiceConnections> _connections = new(StringComparer.Ordinal);

    public ResilienceStack()
    {
        TempEntriesBefore = Directory.EnumerateFileSystemEntries(Path.GetTempPath(), "strongroom*").ToHashSet(StringComparer.Ordinal);
        State = Path.Combine(Path.GetTempPath(), "strongroom-resilience-" + Guid.NewGuid().ToString("N"));
        Layout = new DevLayout(RepoPaths.Root, State, Ports.FreeDevStackOffset());
        Layout.Overrides["kms"] = ["--Kms:AllowZeroDestroyGrace=true"];
        Layout.Overrides["edge"] =
        [
            // The sweep and the load loop send thousands of calls as one client: lift the per-client budget.
            "--Edge:RateLimit:TokenLimit=100000",
            "--Edge:RateLimit:TokensPerPeriod=100000",
            "--Edge:RateLimit:ConcurrentRequestLimit=1000",
        ];
        Layout.Overrides["runner"] =
        [
            "--Runner:LeaseDuration=00:00:03",
            "--Runner:PollInterval=00:00:00.200",
            "--Runner:MaxActiveJobs=200",
            "--Runner:Workers=2",
            "--Runner:SubmitBurst=100000",
            "--Runner:SubmitsPerMinute=600000",
            "--Runner:Jobs:cat:Command=/bin/cat",
            // A job that stays running, so a WatchJob stream stays open (identity churn).
            "--Runner:Jobs:sleep:Command=/bin/sleep",
            "--Runner:Jobs:sleep:Arguments:0=20",
        ];
        foreach (var spec in ServiceSpec.All)
        {
            // Every service re-reads this file every Strongroom:Tls:ReloadInterval (docs/hosting.md).
            Layout.Overrides.TryAdd(spec.Name, []);
            Layout.Overrides[spec.Name].Add($"--Strongroom:DenyListFile={DenyListFile}");
        }

        foreach (var (service, args) in Layout.Overrides)
        {
            _baseOverrides[service] = [.. args];
        }

        Stack = new DevStack(Layout, _log);
    }

    private readonly Dictionary<string, List<string>> _baseOverrides = new(StringComparer.Ordinal);

    /// <summary>The deny-list file every service of the stack watches (absent at start: nobody denied).</summary>
    public string DenyListFile => Path.Combine(State, "denylist");

    public string State { get; }

    /// <summary>When the fixture started, and which /tmp/strongroom* entries existed then (the hygiene scan covers the ones made since).</summary>
    public DateTime StartedAt { get; } = DateTime.UtcNow.AddSeconds(-1);

    public IReadOnlySet<string> TempEntriesBefore { get; }

    public DevLayout Layout { get; }

    public DevStack Stack { get; }

    /// <summary>client/demo: the StudioML fixture's signing key.</summary>
    public TestClient Demo { get; private set; } = null!;

    public TestClient Alice { get; private set; } = null!;

    public TestClient Bob { get; private set; } = null!;

    public string RequestKid { get; private set; } = "";

    public X25519PublicKey RequestKey { get; private set; } = null!;

    public string Log => _log.ToString();

    public ServiceSpec Spec(string service) => ServiceSpec.All.Single(s => s.Name == service);

    public async ValueTask InitializeAsync()
    {
        Requirements.Require(File.Exists("/usr/bin/bwrap"), "bubblewrap is not installed (apt-get install bubblewrap)");
        var ct = TestContext.Current.CancellationToken;
        Stack.EnsurePki();
        Stack.EnsureSecrets();
        foreach (var name in new[] { "client/alice", "client/bob" })
        {
            StackPki.Issue(Layout.Pki, name, 7);
        }

        foreach (var spec in ServiceSpec.All)
        {
            Stack.Start(spec);
            Assert.True(await Stack.WaitHealthyAsync(spec, TimeSpan.FromSeconds(120), ct), Log);
        }

        var admin = KeyServiceAdmin();
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "requests", Kind = KeyAdminApi.KeyKind.X25519 }, cancellationToken: ct);
        var pub = (await new KeyServiceApi.KeyService.KeyServiceClient(ThroughEdge("demo")).GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = "requests" }, cancellationToken: ct)).PublicKey;
        RequestKid = pub.Kid;
        using (var jwk = JsonWebKey.Parse(pub.JwkJson))
        {
            RequestKey = jwk.ToX25519PublicKey();
        }

        await ImportStudioMlKeyAsync(ct);
        var fixtureKey = OpenSsh.ParsePrivateKey(File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "client_signing")), exportable: true);
        Demo = await RegisterAsync("demo", fixtureKey, ct);
        Alice = await RegisterAsync("alice", Ed25519KeyPair.Generate(exportable: true), ct);
        Bob = await RegisterAsync("bob", Ed25519KeyPair.Generate(exportable: true), ct);
        await WaitPublishedAsync(RequestKid, ct);
    }

    private async Task ImportStudioMlKeyAsync(CancellationToken ct)
    {
        var pem = await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "studioml_message.pem"), ct);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await StudioMlImport.RunAsync(KeyServiceAdminInvoker(), "studioml", pem, FixturePassphrase(), ct);
                return;
            }
            catch (RpcException ex) when (attempt < 240 && ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.Unavailable)
            {
                // keyservice prepares its import key in the background after start.
                await Task.Delay(250, ct);
            }
        }
    }

    public static char[] FixturePassphrase() =>
        File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "secret_phrase")).TrimEnd('\r', '\n').ToCharArray();

    /// <summary>Registers a client (sealing key exportable, so the hygiene scan can look for it) and waits until the key log serves it.</summary>
    public async Task<TestClient> RegisterAsync(string name, Ed25519KeyPair signing, CancellationToken ct)
    {
        var sealing = X25519KeyPair.Generate(exportable: true);
        using var sealingJwk = JsonWebKey.FromPublicKey(sealing.PublicKey);
        var registration = new JsonObject
        {
            ["identity"] = "spiffe://strongroom/client/" + name,
            ["signing_key"] = OpenSsh.FormatAuthorizedKey(signing.PublicKey),
            ["sealing_key"] = JsonNode.Parse(sealingJwk.ToJson()),
        };
        using var operatorKey = Layout.LoadOperatorKey();
        using var operatorJwk = JsonWebKey.FromPublicKey(operatorKey.PublicKey);
        var jws = Jws.SignCompact(operatorKey, operatorJwk.Thumbprint(), Encoding.UTF8.GetBytes(registration.ToJsonString()), new JsonObject { ["typ"] = "strongroom-client-registration" });
        var response = await StorageDirect("operator/admin").RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = jws }, cancellationToken: ct);
        await WaitPublishedAsync(response.SigningKid, ct);
        await WaitPublishedAsync(response.SealingKid, ct);
        return new TestClient(name, signing, response.SigningKid, sealing, response.SealingKid);
    }

    public async Task WaitPublishedAsync(string kid, CancellationToken ct)
    {
        var storage = StorageDirect("operator/admin");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await storage.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = kid }, cancellationToken: ct);
                return;
            }
            catch (RpcException ex) when (attempt < 480 && ex.StatusCode == StatusCode.NotFound)
            {
                await Task.Delay(250, ct);
            }
        }
    }

    /// <summary>A cached mTLS invoker as <paramref name="identity"/> (short form) to <paramref name="address"/>, expecting the server to be <paramref name="service"/>.</summary>
    public CallInvoker Invoker(string identity, string address, string service) =>
        _invokers.GetOrAdd((identity, address), key =>
            _connections.GetOrAdd(identity, id => new ServiceConnections(Layout.Pki, id)).To(key.Address, service, TimeSpan.FromSeconds(30)));

    public string PublicAddress(string service) => service == "edge" ? Layout.EdgeAddress : Spec(service).PublicAddress(Layout);

    public string AdminAddress(string service) => Spec(service).AdminAddress(Layout);

    /// <summary>KeyAdmin on keyservice's admin listener.</summary>
    public KeyAdminApi.KeyAdmin.KeyAdminClient KeyServiceAdmin() => new(KeyServiceAdminInvoker());

    public CallInvoker KeyServiceAdminInvoker() => Invoker("operator/admin", AdminAddress("keyservice"), "keyservice");

    public RunnerAdmin.RunnerAdminClient RunnerAdmin() => new(Invoker("operator/admin", AdminAddress("runner"), "runner"));

    public StorageApi.Storage.StorageClient StorageDirect(string identity) => new(Invoker(identity, PublicAddress("storage"), "storage"));

    public CallInvoker ThroughEdge(string client) => Invoker("client/" + client, Layout.EdgeAddress, "edge");

    public Runner.V1.Runner.RunnerClient RunnerThroughEdge(string client) => new(ThroughEdge(client));

    /// <summary>Kills <paramref name="service"/> with SIGKILL, restarts it and waits until it is healthy; returns the seconds until healthy.</summary>
    public async Task<double> KillAndRestartAsync(string service, CancellationToken ct)
    {
        var spec = Spec(service);
        await Stack.KillAsync(spec);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Stack.Start(spec);
        Assert.True(await Stack.WaitHealthyAsync(spec, TimeSpan.FromSeconds(120), ct), $"{service} did not come back\n{Log}");
        return started.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Restarts <paramref name="service"/> (SIGKILL, start, healthy) with the fixture's settings
    /// followed by <paramref name="extra"/>, which win over them (the last value of a command-line
    /// key wins); an empty <paramref name="extra"/> restores the fixture's settings.
    /// </summary>
    public async Task RestartWithAsync(string service, IReadOnlyList<string> extra, CancellationToken ct)
    {
        Layout.Overrides[service] = [.. _baseOverrides[service], .. extra];
        await KillAndRestartAsync(service, ct);
        await RefreshConnectionsAsync(service, ct);
    }

    /// <summary>
    /// Calls gRPC health through every cached invoker that points at <paramref name="service"/>
    /// until the server answers (any status but a transport failure), so the next test does not spend its first call finding out that the
    /// pooled connection died with the old process.
    /// </summary>
    public async Task RefreshConnectionsAsync(string service, CancellationToken ct)
    {
        var addresses = new HashSet<string>(StringComparer.Ordinal) { PublicAddress(service), AdminAddress(service) };
        foreach (var ((_, address), invoker) in _invokers.Where(i => addresses.Contains(i.Key.Address)))
        {
            var health = new Grpc.Health.V1.Health.HealthClient(invoker);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                    break;
                }
                catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.DeadlineExceeded))
                {
                    // An answer (the edge refuses health to non-clients): the connection works.
                    break;
                }
                catch (RpcException) when (attempt < 40)
                {
                    await Task.Delay(250, ct);
                }
            }
        }
    }

    /// <summary>The process id of <paramref name="service"/> (`dotnet service.dll` runs the service in that process).</summary>
    public int Pid(string service) => Stack.ProcessOf(Spec(service)).Id;

    /// <summary>A signed HPKE envelope as the SDK builds it (DESIGN §3.2).</summary>
    public Envelope Envelope(TestClient client, string job, byte[] input) => RequestBuilder.BuildStrongroom(
        client.Signing, client.SigningKid, RequestKey, RequestKid, client.Identity, job, client.SealingKid, input, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14)).Envelope;

    /// <summary>Polls the job through the edge (retrying transient statuses) until it is final.</summary>
    public async Task<Job> WaitFinalAsync(string client, string jobId, TimeSpan timeout)
    {
        var ct = TestContext.Current.CancellationToken;
        var deadline = DateTime.UtcNow + timeout;
        var runner = RunnerThroughEdge(client);
        Job? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = (await runner.GetJobAsync(new GetJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: ct)).Job;
                if (IsFinal(last.Status))
                {
                    return last;
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
            {
                // A service is still coming back.
            }

            await Task.Delay(250, ct);
        }

        Assert.Fail($"{jobId} not final after {timeout.TotalSeconds:0}s: {last?.Status} {last?.Reason}");
        return last!;
    }

    public static bool IsFinal(JobStatus status) => status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Rejected;

    /// <summary>The stored result through the edge, verified: JWS against the JWKS, the document's digests, then opened with the client's sealing key.</summary>
    public async Task<(ResultDocument Document, byte[] Output, StorageApi.Result Stored)> FetchVerifiedAsync(TestClient client, string jobId, byte[] requestDigest)
    {
        var storage = new StorageApi.Storage.StorageClient(ThroughEdge(client.Name));
        var stored = (await storage.GetResultAsync(new StorageApi.GetResultRequest { JobId = jobId })).Result;
        var jwks = (await storage.GetJwksAsync(new StorageApi.GetJwksRequest())).JwksJson;
        var keys = new Dictionary<string, Ed25519PublicKey>(StringComparer.Ordinal);
        using (var set = JsonDocument.Parse(jwks))
        {
            foreach (var k in set.RootElement.GetProperty("keys").EnumerateArray())
            {
                using var jwk = JsonWebKey.Parse(k.GetRawText());
                if (jwk.Kid is { } kid && jwk.Crv == "Ed25519")
                {
                    keys[kid] = jwk.ToEd25519PublicKey();
                }
            }
        }

        var verified = Jws.VerifyCompact(stored.SignedResult, kid => kid is not null && keys.TryGetValue(kid, out var key) ? key : null);
        Assert.True(verified.IsValid, $"{jobId}: {verified.Status}");
        Assert.Equal("strongroom-result", verified.ProtectedHeader!.Value.GetProperty("typ").GetString());
        Assert.Equal("spiffe://strongroom/runner", verified.ProtectedHeader!.Value.GetProperty("runner").GetString());
        var document = ResultDocument.Parse(verified.Payload);
        Assert.Equal(jobId, document.JobId);
        Assert.Equal(client.Identity, document.Owner);
        Assert.Equal(requestDigest, document.RequestSha256);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(stored.Output.Span), document.OutputSha256);
        Assert.Equal(client.SealingKid, document.SealedToKid);
        var output = Hpke.Open(client.Sealing, stored.OutputEnc.Span, Hpke.ResultInfo, Encoding.UTF8.GetBytes(jobId), stored.Output.Span);
        return (document, output, stored);
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        foreach (var c in _connections.Values)
        {
            c.Dispose();
        }

        try
        {
            Directory.Delete(State, recursive: true);
        }
        catch (IOException)
        {
            // A job's leftover directory; the temp folder is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

}
