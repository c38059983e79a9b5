using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.Operator;
using Strongroom.Requests;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using Strongroom.Testing;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Runner.Tests.Support;

/// <summary>
/// The whole stack as real processes on 127.0.0.1 (kms, storage, signer, keyservice, runner, edge),
/// started by the same DevStack `strongroom dev up` uses, on shifted ports and a private state
/// folder; the StudioML fixture key imported, an X25519 request key created, clients registered.
/// Jobs for the tests (sleep, cat, probe) are configured beside the sample jobs.
/// </summary>
public sealed class RunnerStack : IAsyncLifetime
{
    public const int MaxActiveJobs = 6;

    private readonly string _state = Path.Combine(Path.GetTempPath(), "strongroom-e2e-" + Guid.NewGuid().ToString("N"));

    public RunnerStack()
    {
        Layout = new DevLayout(RepoPaths.Root, _state, Ports.FreeDevStackOffset());
        Layout.Overrides["kms"] = ["--Kms:AllowZeroDestroyGrace=true"];
        Layout.Overrides["keyservice"] = ["--KeyService:SweepInterval=00:00:01"];
        Layout.Overrides["runner"] =
        [
            "--Runner:LeaseDuration=00:00:03",
            "--Runner:PollInterval=00:00:00.200",
            $"--Runner:MaxActiveJobs={MaxActiveJobs}",
            "--Runner:Workers=2",
            "--Runner:SubmitBurst=1000",
            "--Runner:SubmitsPerMinute=60000",
            "--Runner:MaxRequestBytes=262144",
            "--Runner:Jobs:sleep:Command=/bin/sh",
            "--Runner:Jobs:sleep:Arguments:0=-c",
            "--Runner:Jobs:sleep:Arguments:1=cat > /dev/null; sleep 4; echo slept",
            "--Runner:Jobs:cat:Command=/bin/cat",
            "--Runner:Jobs:probe:Command=/bin/sh",
            "--Runner:Jobs:probe:Arguments:0=-c",
            "--Runner:Jobs:probe:Arguments:1=echo pidns=$(readlink /proc/self/ns/pid); echo netns=$(readlink /proc/self/ns/net); echo pids=$(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '); echo ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' '); echo env=$(env | cut -d= -f1 | sort | tr '\\n' ' '); cat {0} {1}/queue.db 2>&1 | head -3; echo done",
            "--Runner:Jobs:slow-runner:Command=/bin/sh",
            "--Runner:Jobs:slow-runner:Arguments:0=-c",
            "--Runner:Jobs:slow-runner:Arguments:1=sleep 30",
            "--Runner:Jobs:slow-runner:TimeoutSeconds=1",
        ];
        var probe = Layout.Overrides["runner"].FindIndex(a => a.StartsWith("--Runner:Jobs:probe:Arguments:1=", StringComparison.Ordinal));
        Layout.Overrides["runner"][probe] = string.Format(System.Globalization.CultureInfo.InvariantCulture, Layout.Overrides["runner"][probe], new Strongroom.Pki.PkiDirectory(Layout.Pki).KeyPath(Strongroom.Pki.WorkloadIdentity.Runner), Layout.Data("runner"));
        Core = new ProvisionedStack(Layout);
    }

    public DevLayout Layout { get; }

    /// <summary>The shared stack builder this fixture configures (services, operator set-up, SDK verification).</summary>
    public ProvisionedStack Core { get; }

    public DevStack Stack => Core.Stack;

    /// <summary>client/demo: the StudioML fixture's signing key.</summary>
    public StackClient Demo { get; private set; } = null!;

    public StackClient Alice { get; private set; } = null!;

    public StackClient Bob { get; private set; } = null!;

    /// <summary>Registered, then revoked by the rejection tests.</summary>
    public StackClient Carol { get; private set; } = null!;

    public string RequestKid => Core.RequestKid;

    public X25519PublicKey RequestKey => Core.RequestKey;

    public string Log => Core.Log;

    public async ValueTask InitializeAsync()
    {
        Requirements.Require(File.Exists("/usr/bin/bwrap"), "bubblewrap is not installed (apt-get install bubblewrap)");
        var ct = TestContext.Current.CancellationToken;
        await Core.StartAsync(["client/alice", "client/bob", "client/carol"], TimeSpan.FromSeconds(90), ct);
        await Core.CreateRequestKeyAsync(ct);
        await Core.ImportStudioMlKeyAsync(
            await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "studioml_message.pem"), ct),
            () => File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "secret_phrase")).TrimEnd('\r', '\n').ToCharArray(),
            ct);
        var fixtureKey = OpenSsh.ParsePrivateKey(File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "client_signing")));
        Demo = await RegisterAsync("demo", fixtureKey, ct);
        Alice = await RegisterAsync("alice", Ed25519KeyPair.Generate(), ct);
        Bob = await RegisterAsync("bob", Ed25519KeyPair.Generate(), ct);
        Carol = await RegisterAsync("carol", Ed25519KeyPair.Generate(), ct);
        await WaitPublishedAsync(RequestKid, ct);
    }

    /// <summary>Registers a client with an operator-signed registration and waits until the key log serves it.</summary>
    public Task<StackClient> RegisterAsync(string name, Ed25519KeyPair signing, CancellationToken ct) => Core.RegisterClientAsync(name, signing, ct);

    /// <summary>A JWS by the pinned dev operator key.</summary>
    public string OperatorJws(JsonObject payload, string typ) => Core.OperatorJws(payload, typ);

    public Task WaitPublishedAsync(string kid, CancellationToken ct) => Core.WaitPublishedAsync(kid, ct);

    public KeyAdminApi.KeyAdmin.KeyAdminClient KeyServiceAdmin() => Core.KeyServiceAdmin();

    public CallInvoker KeyServiceAdminInvoker() => Core.KeyServiceAdminInvoker();

    public RunnerAdmin.RunnerAdminClient RunnerAdmin() => Core.RunnerAdmin();

    public StorageApi.StorageAdmin.StorageAdminClient StorageAdmin() => Core.StorageAdmin();

    public StorageApi.Storage.StorageClient StorageDirect(string identity) => Core.StorageDirect(identity);

    /// <summary>A service reached directly with <paramref name="identity"/>'s certificate (e.g. the runner's, to play a compromised runner).</summary>
    public KeyServiceApi.KeyService.KeyServiceClient KeyServiceDirect(string identity) => Core.KeyServiceDirect(identity);

    public CallInvoker ThroughEdge(string client) => Core.ThroughEdge(client);

    public Runner.V1.Runner.RunnerClient RunnerThroughEdge(string client) => Core.RunnerThroughEdge(client);

    /// <summary>A signed HPKE envelope as the SDK builds it (DESIGN §3.2).</summary>
    public Envelope Envelope(StackClient client, string job, byte[] input, DateTimeOffset? created = null, TimeSpan? lifetime = null, string? recipientKid = null, X25519PublicKey? recipient = null, string? identity = null, byte[]? requestId = null)
    {
        var now = created ?? DateTimeOffset.UtcNow;
        var header = new Header
        {
            Version = 1,
            RecipientKid = recipientKid ?? RequestKid,
            SigningKid = client.SigningKid,
            ClientIdentity = identity ?? client.Identity,
            RequestId = ByteString.CopyFrom(requestId ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            JobName = job,
            CreatedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = (now + (lifetime ?? TimeSpan.FromMinutes(10))).ToUnixTimeSeconds(),
            ResultKid = client.SealingKid,
        };
        var headerBytes = EnvelopeHeader.Serialize(header);
        var sealedInput = Hpke.Seal(recipient ?? RequestKey, Hpke.RequestInfo, headerBytes.Span, input);
        return new Envelope
        {
            Header = headerBytes,
            Enc = ByteString.CopyFrom(sealedInput.EncapsulatedKey),
            Ct = ByteString.CopyFrom(sealedInput.Ciphertext),
            Signature = ByteString.CopyFrom(StrongroomEnvelope.Sign(client.Signing, headerBytes.Span, sealedInput.EncapsulatedKey, sealedInput.Ciphertext)),
        };
    }

    /// <summary>Watches a job through the edge until it ends; returns every state seen.</summary>
    public Task<List<Job>> WatchAsync(string client, string jobId, TimeSpan? timeout = null) =>
        Core.WatchAsync(client, jobId, timeout ?? TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

    /// <summary>The stored result through the edge, verified by the SDK against the pinned key log and opened with the client's sealing key.</summary>
    public async Task<(ResultDocument Document, byte[] Output, StorageApi.Result Stored)> FetchVerifiedAsync(StackClient client, string jobId, byte[] requestDigest)
    {
        var (result, stored) = await Core.FetchVerifiedAsync(client, jobId, requestDigest, TestContext.Current.CancellationToken);
        Assert.Equal("spiffe://strongroom/runner", result.RunnerIdentity);
        return (result.Document, result.Output ?? [], stored);
    }

    /// <summary>How many calls of <paramref name="method"/> keyservice's audit log records.</summary>
    public int KeyServiceAuditCount(string method) =>
        File.ReadLines(Path.Combine(Layout.Data("keyservice"), "audit.log")).Count(l => l.Contains(method, StringComparison.Ordinal));

    public async ValueTask DisposeAsync() => await Core.DisposeAsync();
}
