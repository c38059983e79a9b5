using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Strongroom.Client;
using Strongroom.Crypto;
using Strongroom.Operator;
using Strongroom.Runner.V1;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Stack;

/// <summary>A registered experimenter whose private keys the caller holds (tests, the bench).</summary>
public sealed record StackClient(string Name, Ed25519KeyPair Signing, string SigningKid, X25519KeyPair Sealing, string SealingKid)
{
    public string Identity => "spiffe://strongroom/client/" + Name;
}

/// <summary>
/// The one stack builder's running form for the whole-stack tests and the bench: the chosen
/// services started by <see cref="DevStack"/> (as <c>dev up</c> starts them) on a
/// <see cref="DevLayout"/>, then the operator's set-up done over admin listeners — a request key,
/// the StudioML key imported, clients registered — and connections as any identity. Results are
/// verified through the SDK (<see cref="ResultVerifier"/> against a pinned key log), never by code
/// of its own. Failures throw with the stack's log, so no test framework is needed here.
/// </summary>
public sealed class ProvisionedStack : IAsyncDisposable
{
    private readonly StringWriter _log = new();
    private readonly ConcurrentDictionary<(string Identity, string Address), CallInvoker> _invokers = new();
    private readonly ConcurrentDictionary<string, ServiceConnections> _connections = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _logGate = new(1, 1);
    private PinnedLog? _pinnedLog;
    private bool _ownsState;

    public ProvisionedStack(DevLayout layout, bool deleteStateOnDispose = true)
    {
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        Stack = new DevStack(layout, _log);
        _ownsState = deleteStateOnDispose;
    }

    public DevLayout Layout { get; }

    public DevStack Stack { get; }

    /// <summary>Everything the stack and its processes printed.</summary>
    public string Log => _log.ToString();

    /// <summary>Adds a line of the caller's to <see cref="Log"/>.</summary>
    public void Note(string line)
    {
        lock (_log)
        {
            _log.WriteLine(line);
        }
    }

    /// <summary>The X25519 request key's kid and public key, once <see cref="CreateRequestKeyAsync"/> ran.</summary>
    public string RequestKid { get; private set; } = "";

    public X25519PublicKey RequestKey { get; private set; } = null!;

    public static ServiceSpec Spec(string service) => ServiceSpec.All.Single(s => s.Name == service);

    /// <summary>PKI, secrets and certificates for <paramref name="clients"/> (short forms), then each of <paramref name="services"/> (default: all) started and healthy.</summary>
    public async Task StartAsync(IEnumerable<string> clients, TimeSpan healthTimeout, CancellationToken cancellationToken, IEnumerable<ServiceSpec>? services = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        Stack.EnsurePki();
        Stack.EnsureSecrets();
        foreach (var client in clients)
        {
            StackPki.Issue(Layout.Pki, client, 7);
        }

        foreach (var spec in services ?? ServiceSpec.All)
        {
            Stack.Start(spec);
            if (!await Stack.WaitHealthyAsync(spec, healthTimeout, cancellationToken))
            {
                throw new InvalidOperationException($"{spec.Name} did not become healthy:\n{Log}");
            }
        }
    }

    /// <summary>Creates keyservice's X25519 request key and learns it as a client does, through the edge.</summary>
    public async Task CreateRequestKeyAsync(CancellationToken cancellationToken, string keyName = RecipientKeys.DefaultRequestKeyName)
    {
        await KeyServiceAdmin().CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = keyName, Kind = KeyAdminApi.KeyKind.X25519 }, cancellationToken: cancellationToken);
        var pub = (await new KeyServiceApi.KeyService.KeyServiceClient(ThroughEdge("demo")).GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = keyName }, cancellationToken: cancellationToken)).PublicKey;
        RequestKid = pub.Kid;
        using var jwk = JsonWebKey.Parse(pub.JwkJson);
        RequestKey = jwk.ToX25519PublicKey();
    }

    /// <summary>Imports a StudioML RSA key from its legacy encrypted PEM; keyservice prepares its import key after start, so this waits for it.</summary>
    public async Task ImportStudioMlKeyAsync(string pem, Func<char[]> passphrase, CancellationToken cancellationToken, string keyName = RecipientKeys.DefaultStudioMlKeyName)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await StudioMlImport.RunAsync(KeyServiceAdminInvoker(), keyName, pem, passphrase(), cancellationToken);
                return;
            }
            catch (RpcException ex) when (attempt < 240 && ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.Unavailable)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>Registers a client with an operator-signed registration and waits until the key log serves both keys.</summary>
    public async Task<StackClient> RegisterClientAsync(string name, Ed25519KeyPair signing, CancellationToken cancellationToken, bool exportableSealingKey = false)
    {
        ArgumentNullException.ThrowIfNull(signing);
        var sealing = X25519KeyPair.Generate(exportable: exportableSealingKey);
        using var sealingJwk = JsonWebKey.FromPublicKey(sealing.PublicKey);
        using var signingJwk = JsonWebKey.FromPublicKey(signing.PublicKey);
        var keys = new ClientPublicKeys(OpenSsh.FormatAuthorizedKey(signing.PublicKey), sealingJwk.ToJson(), signingJwk.Thumbprint(), sealingJwk.Thumbprint());
        using var operatorKey = Layout.LoadOperatorKey();
        var (signingKid, sealingKid, _) = await OperatorSetup.RegisterAsync(StorageDirect("operator/admin"), operatorKey, "client/" + name, keys, cancellationToken);
        await WaitPublishedAsync(signingKid, cancellationToken);
        await WaitPublishedAsync(sealingKid, cancellationToken);
        return new StackClient(name, signing, signingKid, sealing, sealingKid);
    }

    /// <summary>A JWS by the stack's pinned operator key.</summary>
    public string OperatorJws(JsonObject payload, string typ)
    {
        ArgumentNullException.ThrowIfNull(payload);
        using var operatorKey = Layout.LoadOperatorKey();
        using var operatorJwk = JsonWebKey.FromPublicKey(operatorKey.PublicKey);
        return Jws.SignCompact(operatorKey, operatorJwk.Thumbprint(), Encoding.UTF8.GetBytes(payload.ToJsonString()), new JsonObject { ["typ"] = typ });
    }

    /// <summary>Waits until storage serves <paramref name="kid"/> (services publish through an outbox).</summary>
    public Task WaitPublishedAsync(string kid, CancellationToken cancellationToken) =>
        OperatorSetup.WaitPublishedAsync(StorageDirect("operator/admin"), kid, cancellationToken, attempts: 480);

    /// <summary>A cached mTLS invoker as <paramref name="identity"/> (short form) to <paramref name="address"/>, expecting the server to be <paramref name="service"/>.</summary>
    public CallInvoker Invoker(string identity, string address, string service) =>
        _invokers.GetOrAdd((identity, address), key =>
            _connections.GetOrAdd(identity, id => new ServiceConnections(Layout.Pki, id)).To(key.Address, service, TimeSpan.FromSeconds(30)));

    /// <summary>Every cached invoker, for callers that refresh connections after a restart.</summary>
    public IEnumerable<(string Address, CallInvoker Invoker)> Invokers() => _invokers.Select(i => (i.Key.Address, i.Value));

    public string PublicAddress(string service) => service == "edge" ? Layout.EdgeAddress : Spec(service).PublicAddress(Layout);

    public string AdminAddress(string service) => Spec(service).AdminAddress(Layout);

    /// <summary>The shared key-admin API on keyservice's admin listener (the signer serves the same one).</summary>
    public KeyAdminApi.KeyAdmin.KeyAdminClient KeyServiceAdmin() => new(KeyServiceAdminInvoker());

    /// <summary>keyservice's admin listener as operator/admin (KeyAdmin, and keyservice's own KeyServiceAdmin for imports).</summary>
    public CallInvoker KeyServiceAdminInvoker() => Invoker("operator/admin", AdminAddress("keyservice"), "keyservice");

    public RunnerAdmin.RunnerAdminClient RunnerAdmin() => new(Invoker("operator/admin", AdminAddress("runner"), "runner"));

    public StorageApi.StorageAdmin.StorageAdminClient StorageAdmin() => new(Invoker("operator/admin", AdminAddress("storage"), "storage"));

    public StorageApi.Storage.StorageClient StorageDirect(string identity) => new(Invoker(identity, PublicAddress("storage"), "storage"));

    /// <summary>keyservice reached directly with <paramref name="identity"/>'s certificate (e.g. the runner's, to play a compromised runner).</summary>
    public KeyServiceApi.KeyService.KeyServiceClient KeyServiceDirect(string identity) => new(Invoker(identity, PublicAddress("keyservice"), "keyservice"));

    public CallInvoker ThroughEdge(string client) => Invoker("client/" + client, Layout.EdgeAddress, "edge");

    public Runner.V1.Runner.RunnerClient RunnerThroughEdge(string client) => new(ThroughEdge(client));

    /// <summary>A signed HPKE envelope to the request key, built by the SDK.</summary>
    public Envelope Envelope(StackClient client, string job, byte[] input, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return RequestBuilder.BuildStrongroom(client.Signing, client.SigningKid, RequestKey, RequestKid, client.Identity, job, client.SealingKid, input, DateTimeOffset.UtcNow, lifetime ?? TimeSpan.FromMinutes(10)).Envelope;
    }

    /// <summary>
    /// The stored result through the edge as <paramref name="client"/>, believed only after the SDK's
    /// checks (<see cref="ResultVerifier.VerifyAsync"/>: JWS by a result-signing key proven in the
    /// pinned key log, this job, this owner, this request digest, the stored output's digest, sealed to
    /// the client's key) and opened with the client's sealing key.
    /// </summary>
    public async Task<(VerifiedResult Result, StorageApi.Result Stored)> FetchVerifiedAsync(StackClient client, string jobId, byte[] requestDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var stored = (await new StorageApi.Storage.StorageClient(ThroughEdge(client.Name)).GetResultAsync(new StorageApi.GetResultRequest { JobId = jobId }, cancellationToken: cancellationToken)).Result;
        var log = await PinnedLogAsync(cancellationToken);
        var expectation = new ResultExpectation(jobId, client.Identity, requestDigest) { SealingKid = client.SealingKid };
        return (await ResultVerifier.VerifyAsync(stored, expectation, log, client.Sealing, cancellationToken), stored);
    }

    /// <summary>The stack's key log as a client pins it: the verifier key fetched once from the signer's admin listener (out of band), proofs read through the edge.</summary>
    public async Task<PinnedLog> PinnedLogAsync(CancellationToken cancellationToken)
    {
        if (_pinnedLog is { } existing)
        {
            return existing;
        }

        await _logGate.WaitAsync(cancellationToken);
        try
        {
            if (_pinnedLog is null)
            {
                var verifierFile = Path.Combine(Layout.Pki, ClientFolder.LogVerifierKeyFileName);
                var operatorConnections = _connections.GetOrAdd("operator/admin", id => new ServiceConnections(Layout.Pki, id));
                await OperatorSetup.FetchLogKeyAsync(operatorConnections, AdminAddress("signer"), verifierFile, cancellationToken);
                _pinnedLog = StrongroomClient.OpenLog(new GrpcKeyLogSource(new StorageApi.Storage.StorageClient(ThroughEdge("demo"))), verifierFile, pinFile: null);
            }

            return _pinnedLog;
        }
        finally
        {
            _logGate.Release();
        }
    }

    /// <summary>Kills <paramref name="service"/> with SIGKILL, starts it again and waits until it is healthy; returns the seconds until healthy.</summary>
    public async Task<double> KillAndRestartAsync(string service, TimeSpan healthTimeout, CancellationToken cancellationToken)
    {
        var spec = Spec(service);
        await Stack.KillAsync(spec);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Stack.Start(spec);
        if (!await Stack.WaitHealthyAsync(spec, healthTimeout, cancellationToken))
        {
            throw new InvalidOperationException($"{service} did not come back:\n{Log}");
        }

        return started.Elapsed.TotalSeconds;
    }

    /// <summary>Watches a job through the edge until the stream ends; returns every state seen.</summary>
    public async Task<List<Job>> WatchAsync(string client, string jobId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var states = new List<Job>();
        using var call = RunnerThroughEdge(client).WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: cts.Token);
        await foreach (var update in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            states.Add(update.Job);
        }

        return states;
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        _pinnedLog?.Dispose();
        _logGate.Dispose();
        foreach (var c in _connections.Values)
        {
            c.Dispose();
        }

        if (_ownsState)
        {
            _ownsState = false;
            try
            {
                Directory.Delete(Layout.StateRoot, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A job's leftover directory; the temp folder is cleaned by the OS.
            }
        }
    }
}
