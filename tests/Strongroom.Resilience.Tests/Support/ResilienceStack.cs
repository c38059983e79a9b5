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

        Core = new ProvisionedStack(Layout);
    }

    private readonly Dictionary<string, List<string>> _baseOverrides = new(StringComparer.Ordinal);

    /// <summary>The deny-list file every service of the stack watches (absent at start: nobody denied).</summary>
    public string DenyListFile => Path.Combine(State, "denylist");

    public string State { get; }

    /// <summary>When the fixture started, and which /tmp/strongroom* entries existed then (the hygiene scan covers the ones made since).</summary>
    public DateTime StartedAt { get; } = DateTime.UtcNow.AddSeconds(-1);

    public IReadOnlySet<string> TempEntriesBefore { get; }

    public DevLayout Layout { get; }

    /// <summary>The shared stack builder this fixture configures (services, operator set-up, SDK verification).</summary>
    public ProvisionedStack Core { get; }

    public DevStack Stack => Core.Stack;

    /// <summary>client/demo: the StudioML fixture's signing key.</summary>
    public StackClient Demo { get; private set; } = null!;

    public StackClient Alice { get; private set; } = null!;

    public StackClient Bob { get; private set; } = null!;

    public string RequestKid => Core.RequestKid;

    public X25519PublicKey RequestKey => Core.RequestKey;

    public string Log => Core.Log;

    public ServiceSpec Spec(string service) => ProvisionedStack.Spec(service);

    public async ValueTask InitializeAsync()
    {
        Requirements.Require(File.Exists("/usr/bin/bwrap"), "bubblewrap is not installed (apt-get install bubblewrap)");
        var ct = TestContext.Current.CancellationToken;
        await Core.StartAsync(["client/alice", "client/bob"], TimeSpan.FromSeconds(120), ct);
        await Core.CreateRequestKeyAsync(ct);
        await Core.ImportStudioMlKeyAsync(await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "studioml_message.pem"), ct), FixturePassphrase, ct);
        var fixtureKey = OpenSsh.ParsePrivateKey(File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "client_signing")), exportable: true);
        Demo = await RegisterAsync("demo", fixtureKey, ct);
        Alice = await RegisterAsync("alice", Ed25519KeyPair.Generate(exportable: true), ct);
        Bob = await RegisterAsync("bob", Ed25519KeyPair.Generate(exportable: true), ct);
        await WaitPublishedAsync(RequestKid, ct);
    }

    public static char[] FixturePassphrase() =>
        File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "secret_phrase")).TrimEnd('\r', '\n').ToCharArray();

    /// <summary>Registers a client (sealing key exportable, so the hygiene scan can look for it) and waits until the key log serves it.</summary>
    public Task<StackClient> RegisterAsync(string name, Ed25519KeyPair signing, CancellationToken ct) => Core.RegisterClientAsync(name, signing, ct, exportableSealingKey: true);

    public Task WaitPublishedAsync(string kid, CancellationToken ct) => Core.WaitPublishedAsync(kid, ct);

    /// <summary>A cached mTLS invoker as <paramref name="identity"/> (short form) to <paramref name="address"/>, expecting the server to be <paramref name="service"/>.</summary>
    public CallInvoker Invoker(string identity, string address, string service) => Core.Invoker(identity, address, service);

    public string PublicAddress(string service) => Core.PublicAddress(service);

    public string AdminAddress(string service) => Core.AdminAddress(service);

    public KeyAdminApi.KeyAdmin.KeyAdminClient KeyServiceAdmin() => Core.KeyServiceAdmin();

    public CallInvoker KeyServiceAdminInvoker() => Core.KeyServiceAdminInvoker();

    public RunnerAdmin.RunnerAdminClient RunnerAdmin() => Core.RunnerAdmin();

    public StorageApi.Storage.StorageClient StorageDirect(string identity) => Core.StorageDirect(identity);

    public CallInvoker ThroughEdge(string client) => Core.ThroughEdge(client);

    public Runner.V1.Runner.RunnerClient RunnerThroughEdge(string client) => Core.RunnerThroughEdge(client);

    /// <summary>Kills <paramref name="service"/> with SIGKILL, restarts it and waits until it is healthy; returns the seconds until healthy.</summary>
    public Task<double> KillAndRestartAsync(string service, CancellationToken ct) => Core.KillAndRestartAsync(service, TimeSpan.FromSeconds(120), ct);

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
        foreach (var (_, invoker) in Core.Invokers().Where(i => addresses.Contains(i.Address)))
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
    public Envelope Envelope(StackClient client, string job, byte[] input) => Core.Envelope(client, job, input, TimeSpan.FromMinutes(14));

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

    /// <summary>The stored result through the edge, verified by the SDK against the pinned key log and opened with the client's sealing key.</summary>
    public async Task<(ResultDocument Document, byte[] Output, StorageApi.Result Stored)> FetchVerifiedAsync(StackClient client, string jobId, byte[] requestDigest)
    {
        var (result, stored) = await Core.FetchVerifiedAsync(client, jobId, requestDigest, TestContext.Current.CancellationToken);
        Assert.Equal("spiffe://strongroom/runner", result.RunnerIdentity);
        return (result.Document, result.Output ?? [], stored);
    }

    public async ValueTask DisposeAsync() => await Core.DisposeAsync();
}
