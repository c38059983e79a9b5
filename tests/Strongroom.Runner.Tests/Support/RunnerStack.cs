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

/// <summary>A registered experimenter: identity, signing key, sealing key pair.</summary>
public sealed record TestClient(string Name, Ed25519KeyPair Signing, string SigningKid, X25519KeyPair Sealing, string SealingKid)
{
    public string Identity => "spiffe://strongroom/client/" + Name;
}

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
    private readonly StringWriter _log = new();
    private readonly ServiceConnections _operator;
    private readonly Dictionary<string, ServiceConnections> _clients = new(StringComparer.Ordinal);

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
        Stack = new DevStack(Layout, _log);
        _operator = new ServiceConnections(Layout.Pki, "operator/admin");
    }

    public DevLayout Layout { get; }

    public DevStack Stack { get; }

    /// <summary>client/demo: the StudioML fixture's signing key.</summary>
    public TestClient Demo { get; private set; } = null!;

    public TestClient Alice { get; private set; } = null!;

    public TestClient Bob { get; private set; } = null!;

    /// <summary>Registered, then revoked by the rejection tests.</summary>
    public TestClient Carol { get; private set; } = null!;

    public string RequestKid { get; private set; } = "";

    public X25519PublicKey RequestKey { get; private set; } = null!;

    public string Log => _log.ToString();

    public async ValueTask InitializeAsync()
    {
        Requirements.Require(File.Exists("/usr/bin/bwrap"), "bubblewrap is not installed (apt-get install bubblewrap)");
        var ct = TestContext.Current.CancellationToken;
        Stack.EnsurePki();
        Stack.EnsureSecrets();
        foreach (var name in new[] { "client/alice", "client/bob", "client/carol" })
        {
            StackPki.Issue(Layout.Pki, name, 7);
        }

        foreach (var spec in ServiceSpec.All)
        {
            Stack.Start(spec);
            Assert.True(await Stack.WaitHealthyAsync(spec, TimeSpan.FromSeconds(90), ct), Log);
        }

        var admin = KeyServiceAdmin();
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "requests", Kind = KeyAdminApi.KeyKind.X25519 }, cancellationToken: ct);
        var publicKey = (await admin.GetKeyAsync(new KeyAdminApi.GetKeyRequest { KeyName = "requests" }, cancellationToken: ct)).Key;
        var pub = (await new KeyServiceApi.KeyService.KeyServiceClient(ThroughEdge("demo")).GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = "requests" }, cancellationToken: ct)).PublicKey;
        RequestKid = pub.Kid;
        using (var jwk = JsonWebKey.Parse(pub.JwkJson))
        {
            RequestKey = jwk.ToX25519PublicKey();
        }

        await ImportStudioMlKeyAsync(ct);
        var fixtureKey = OpenSsh.ParsePrivateKey(File.ReadAllText(RepoPaths.TestData("fixtures", "studioml", "client_signing")));
        Demo = await RegisterAsync("demo", fixtureKey, ct);
        Alice = await RegisterAsync("alice", Ed25519KeyPair.Generate(), ct);
        Bob = await RegisterAsync("bob", Ed25519KeyPair.Generate(), ct);
        Carol = await RegisterAsync("carol", Ed25519KeyPair.Generate(), ct);
        await WaitPublishedAsync(RequestKid, ct);
    }

    private async Task ImportStudioMlKeyAsync(CancellationToken ct)
    {
        var pem = await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "studioml_message.pem"), ct);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var phrase = (await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "secret_phrase"), ct)).TrimEnd('\r', '\n').ToCharArray();
                await StudioMlImport.RunAsync(KeyServiceAdminInvoker(), "studioml", pem, phrase, ct);
                return;
            }
            catch (RpcException ex) when (attempt < 120 && ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.Unavailable)
            {
                // keyservice prepares its import key in the background after start.
                await Task.Delay(250, ct);
            }
        }
    }

    /// <summary>Registers a client with an operator-signed registration and waits until the key log serves it.</summary>
    public async Task<TestClient> RegisterAsync(string name, Ed25519KeyPair signing, CancellationToken ct)
    {
        var sealing = X25519KeyPair.Generate(exportable: false);
        using var sealingJwk = JsonWebKey.FromPublicKey(sealing.PublicKey);
        var registration = new JsonObject
        {
            ["identity"] = "spiffe://strongroom/client/" + name,
            ["signing_key"] = OpenSsh.FormatAuthorizedKey(signing.PublicKey),
            ["sealing_key"] = JsonNode.Parse(sealingJwk.ToJson()),
        };
        var jws = OperatorJws(registration, "strongroom-client-registration");
        var response = await StorageDirect("operator/admin").RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = jws }, cancellationToken: ct);
        await WaitPublishedAsync(response.SigningKid, ct);
        await WaitPublishedAsync(response.SealingKid, ct);
        return new TestClient(name, signing, response.SigningKid, sealing, response.SealingKid);
    }

    /// <summary>A JWS by the pinned dev operator key.</summary>
    public string OperatorJws(JsonObject payload, string typ)
    {
        using var operatorKey = Layout.LoadOperatorKey();
        using var operatorJwk = JsonWebKey.FromPublicKey(operatorKey.PublicKey);
        return Jws.SignCompact(operatorKey, operatorJwk.Thumbprint(), Encoding.UTF8.GetBytes(payload.ToJsonString()), new JsonObject { ["typ"] = typ });
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
            catch (RpcException ex) when (attempt < 240 && ex.StatusCode == StatusCode.NotFound)
            {
                await Task.Delay(250, ct);
            }
        }
    }

    /// <summary>KeyAdmin on keyservice's admin listener.</summary>
    public KeyAdminApi.KeyAdmin.KeyAdminClient KeyServiceAdmin() => new(KeyServiceAdminInvoker());

    public CallInvoker KeyServiceAdminInvoker() => _operator.To(ServiceSpec.KeyService.AdminAddress(Layout), "keyservice");

    public RunnerAdmin.RunnerAdminClient RunnerAdmin() => new(_operator.To(ServiceSpec.Runner.AdminAddress(Layout), "runner"));

    public StorageApi.StorageAdmin.StorageAdminClient StorageAdmin() => new(_operator.To(ServiceSpec.Storage.AdminAddress(Layout), "storage"));

    public StorageApi.Storage.StorageClient StorageDirect(string identity) =>
        new(Connect(identity).To(ServiceSpec.Storage.PublicAddress(Layout), "storage"));

    /// <summary>A service reached directly with <paramref name="identity"/>'s certificate (e.g. the runner's, to play a compromised runner).</summary>
    public KeyServiceApi.KeyService.KeyServiceClient KeyServiceDirect(string identity) =>
        new(Connect(identity).To(ServiceSpec.KeyService.PublicAddress(Layout), "keyservice"));

    public CallInvoker ThroughEdge(string client) => Connect("client/" + client).To(Layout.EdgeAddress, "edge");

    public Runner.V1.Runner.RunnerClient RunnerThroughEdge(string client) => new(ThroughEdge(client));

    private ServiceConnections Connect(string identity)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue(identity, out var c))
            {
                c = new ServiceConnections(Layout.Pki, identity);
                _clients[identity] = c;
            }

            return c;
        }
    }

    /// <summary>A signed HPKE envelope as the SDK builds it (DESIGN §3.2).</summary>
    public Envelope Envelope(TestClient client, string job, byte[] input, DateTimeOffset? created = null, TimeSpan? lifetime = null, string? recipientKid = null, X25519PublicKey? recipient = null, string? identity = null, byte[]? requestId = null)
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
    public async Task<List<Job>> WatchAsync(string client, string jobId, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(90));
        var states = new List<Job>();
        using var call = RunnerThroughEdge(client).WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: cts.Token);
        await foreach (var update in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            states.Add(update.Job);
        }

        return states;
    }

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
        Assert.True(verified.IsValid, verified.Status.ToString());
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

    /// <summary>How many calls of <paramref name="method"/> keyservice's audit log records.</summary>
    public int KeyServiceAuditCount(string method) =>
        File.ReadLines(Path.Combine(Layout.Data("keyservice"), "audit.log")).Count(l => l.Contains(method, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        _operator.Dispose();
        foreach (var c in _clients.Values)
        {
            c.Dispose();
        }

        try
        {
            Directory.Delete(_state, recursive: true);
        }
        catch (IOException)
        {
            // A job's leftover directory; the temp folder is cleaned by the OS.
        }
    }

}
