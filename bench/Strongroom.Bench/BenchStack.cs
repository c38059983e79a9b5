using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Strongroom.Client;
using Strongroom.Crypto;
using Strongroom.Operator;
using Strongroom.Pki;
using Strongroom.Requests;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using Strongroom.Transport.Tls;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Bench;

/// <summary>
/// The whole stack as real processes on 127.0.0.1 (kms, storage, signer, keyservice, runner, edge)
/// plus the bench baseline server, started by DevStack on shifted ports with private temp state;
/// an X25519 request key created and one client registered, as RunnerStack does.
/// </summary>
internal sealed class BenchStack : IAsyncDisposable
{
    public const string TrueJob = "bench-true";

    /// <summary>
    /// The bench baseline server's ports (dev 7406/7416, shifted like the rest). The deployment's
    /// identities are a closed set (six services, clients, operators) and only services get
    /// serverAuth, so it presents the signer's certificate: the same server identity the
    /// runner→signer path verifies.
    /// </summary>
    public const string BaselineIdentity = "signer";

    /// <summary>Concurrent jobs per runner during the bench (deployments choose their own; the default is 2).</summary>
    public const int RunnerWorkers = 32;

    private Process? _baseline;

    private readonly string _state = Path.Combine(Path.GetTempPath(), "strongroom-bench-" + Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> _owned = [];

    public BenchStack(string repoRoot, string configuration)
    {
        // The baseline server's 7406/7416 are shifted with the rest, in the same claimed port block.
        Layout = new DevLayout(repoRoot, _state, PortBlocks.FreeDevStackOffset(7406, 7416), configuration);
        Layout.Overrides["runner"] =
        [
            "--Runner:MaxActiveJobs=1000000",
            // Jobs are I/O-bound (keyservice, signer, storage round trips, fsync'd queue writes): more than the default 2 at once.
            $"--Runner:Workers={RunnerWorkers}",
            "--Runner:PollInterval=00:00:00.050",
            "--Runner:SubmitBurst=100000",
            "--Runner:SubmitsPerMinute=1000000",
            $"--Runner:Jobs:{TrueJob}:Command=/bin/true",
            // StudioML messages run the configured StudioML job; here it is /bin/true too.
            "--Runner:Jobs:studioml:Command=/bin/true",
        ];
        Layout.Overrides["edge"] =
        [
            "--Edge:RateLimit:TokenLimit=1000000",
            "--Edge:RateLimit:TokensPerPeriod=1000000",
            "--Edge:RateLimit:ConcurrentRequestLimit=100000",
            // The bench's own edge host (bench/Strongroom.Bench.Edge) adds the route to the baseline
            // server in code, so "empty call / one fsync'd commit through the same edge" is a real baseline.
            $"--Bench:BaselineIdentity={BaselineIdentity}",
            "--ReverseProxy:Clusters:bench:Metadata:Identity=" + BaselineIdentity,
            $"--ReverseProxy:Clusters:bench:Destinations:bench:Address=https://127.0.0.1:{Layout.Port(7406)}",
            "--ReverseProxy:Routes:bench-empty:ClusterId=bench",
            "--ReverseProxy:Routes:bench-empty:Match:Path=/strongroom.bench.v1.Bench/Empty",
            "--ReverseProxy:Routes:bench-commit:ClusterId=bench",
            "--ReverseProxy:Routes:bench-commit:Match:Path=/strongroom.bench.v1.Bench/Commit",
        ];
        // The shipped edge and runner, composed by bench hosts that add only the baseline route and
        // the decrypt-only sandbox; production code has no benchmark switch.
        Layout.Hosts["edge"] = new("bench/Strongroom.Bench.Edge", "Strongroom.Bench.Edge");
        Layout.Hosts["runner"] = new("bench/Strongroom.Bench.Runner", "Strongroom.Bench.Runner");
        Core = new ProvisionedStack(Layout);
    }

    public DevLayout Layout { get; }

    /// <summary>The shared stack builder the bench configures (the same one the whole-stack tests use).</summary>
    public ProvisionedStack Core { get; }

    public DevStack Stack => Core.Stack;

    public StackClient Client { get; private set; } = null!;

    public string RequestKid => Core.RequestKid;

    public X25519PublicKey RequestKey => Core.RequestKey;

    public string Log => Core.Log;

    /// <summary>The runner's StudioML RSA-4096 public key (keyservice key "studioml").</summary>
    public RSA StudioMlKey { get; private set; } = null!;

    public string BaselineAddress => $"https://127.0.0.1:{Layout.Port(7406)}";

    /// <summary>Every process of the stack by name, the bench baseline server included (for memory).</summary>
    public Dictionary<string, int> Pids()
    {
        var pids = ServiceSpec.All.ToDictionary(s => s.Name, s => Stack.ProcessOf(s).Id, StringComparer.Ordinal);
        if (_baseline is not null)
        {
            pids["bench"] = _baseline.Id;
        }

        return pids;
    }

    public async Task StartAsync(CancellationToken ct)
    {
        await Core.StartAsync(["client/bench"], TimeSpan.FromSeconds(120), ct);
        await StartBaselineAsync(ct);
        await Core.CreateRequestKeyAsync(ct);
        // RSA-4096 generation on a loaded machine: two minutes, not the stack's 30 s default.
        var asOperator = new ServiceConnections(Layout.Pki, "operator/admin");
        _owned.Add(asOperator);
        var admin = new KeyAdminApi.KeyAdmin.KeyAdminClient(asOperator.To(Core.AdminAddress("keyservice"), "keyservice", TimeSpan.FromMinutes(2)));
        var keyService = new KeyServiceApi.KeyService.KeyServiceClient(Core.ThroughEdge("bench"));
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "studioml", Kind = KeyAdminApi.KeyKind.Rsa4096 }, cancellationToken: ct);
        var studioMl = (await keyService.GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = "studioml" }, cancellationToken: ct)).PublicKey;
        StudioMlKey = RSA.Create();
        StudioMlKey.ImportFromPem(studioMl.SpkiPem);
        Client = await Core.RegisterClientAsync("bench", Ed25519KeyPair.Generate(), ct);
        await Core.WaitPublishedAsync(RequestKid, ct);
        await Core.WaitPublishedAsync(studioMl.Kid, ct);
    }

    /// <summary>
    /// Restarts the runner with or without Bench:DecryptOnly (the queue is durable, so accepted
    /// jobs carry over): decrypt-only for "submit → decrypted", normal for rows that run jobs.
    /// </summary>
    public async Task RestartRunnerAsync(bool decryptOnly, CancellationToken ct)
    {
        var settings = Layout.Overrides["runner"];
        settings.RemoveAll(a => a.StartsWith("--Bench:DecryptOnly=", StringComparison.Ordinal));
        settings.Add($"--Bench:DecryptOnly={(decryptOnly ? "true" : "false")}");
        await Stack.StopAsync(ServiceSpec.Runner);
        Stack.Start(ServiceSpec.Runner);
        if (!await Stack.WaitHealthyAsync(ServiceSpec.Runner, TimeSpan.FromSeconds(120), ct))
        {
            throw new InvalidOperationException($"the runner did not come back (decrypt-only {decryptOnly}):\n{Log}");
        }
    }

    /// <summary>Starts bench/Strongroom.Bench.Baseline (built in the same configuration as the services) and waits for its health over mTLS.</summary>
    private async Task StartBaselineAsync(CancellationToken ct)
    {
        var pki = new PkiDirectory(Layout.Pki);
        var id = WorkloadIdentity.Service(BaselineIdentity);
        var data = Layout.Data("bench");
        Directory.CreateDirectory(data);
        var output = Path.Combine(Layout.RepoRoot, "bench", "Strongroom.Bench.Baseline", "bin", Layout.Configuration, "net10.0");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = data, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            Path.Combine(output, "Strongroom.Bench.Baseline.dll"),
            "--contentRoot", output,
            $"--Strongroom:Identity={BaselineIdentity}",
            $"--Strongroom:Tls:CaFile={pki.TrustBundlePath}",
            $"--Strongroom:Tls:CertFile={pki.CertificatePath(id)}",
            $"--Strongroom:Tls:KeyFile={pki.KeyPath(id)}",
            $"--Strongroom:Listeners:Public=127.0.0.1:{Layout.Port(7406)}",
            $"--Strongroom:Listeners:Admin=127.0.0.1:{Layout.Port(7416)}",
            $"--Strongroom:Audit:Path={Path.Combine(data, "audit.log")}",
            $"--Bench:SqlitePath={Path.Combine(data, "bench.db")}",
        })
        {
            info.ArgumentList.Add(a);
        }

        _baseline = Process.Start(info) ?? throw new InvalidOperationException("could not start the bench baseline server");
        var log = new StreamWriter(Path.Combine(Layout.Logs, "bench.log"), append: true) { AutoFlush = true };
        _owned.Add(log);
        _baseline.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _baseline.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _baseline.BeginOutputReadLine();
        _baseline.BeginErrorReadLine();
        var health = new Grpc.Health.V1.Health.HealthClient(Core.Invoker("operator/admin", $"https://127.0.0.1:{Layout.Port(7416)}", BaselineIdentity));
        for (var attempt = 0; ; attempt++)
        {
            if (_baseline.HasExited)
            {
                throw new InvalidOperationException($"the bench baseline server exited ({_baseline.ExitCode}); see {Path.Combine(Layout.Logs, "bench.log")}");
            }

            try
            {
                await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: ct);
                Core.Note($"==> bench baseline server (pid {_baseline.Id}) is healthy on {BaselineAddress}");
                return;
            }
            catch (RpcException) when (attempt < 480)
            {
                await Task.Delay(250, ct);
            }
        }
    }

    /// <summary>
    /// <paramref name="connections"/> separate HTTP/2 connections (one GrpcChannel and
    /// SocketsHttpHandler each, EnableMultipleHttp2Connections=false) presenting
    /// <paramref name="identity"/>'s certificate and accepting only <paramref name="service"/>.
    /// </summary>
    public CallInvoker[] Invokers(string identity, string address, string service, int connections)
    {
        var pki = new PkiDirectory(Layout.Pki);
        var id = WorkloadIdentity.ParseShort(identity);
        var certificate = new ReloadingCertificate(pki.CertificatePath(id), pki.KeyPath(id), TimeSpan.FromMinutes(10));
        var validator = new PeerCertificateValidator(new TrustAnchor(pki.TrustBundlePath, TimeSpan.FromMinutes(10)), EmptyDenyList.Instance);
        _owned.Add(certificate);
        var expected = WorkloadIdentity.ParseShort(service);
        var invokers = new CallInvoker[connections];
        for (var i = 0; i < connections; i++)
        {
            var handler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = false,
                SslOptions = new SslClientAuthenticationOptions
                {
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate.Current,
                    RemoteCertificateValidationCallback = (_, cert, _, _) => validator.Validate(cert, PeerRole.Server, expected).Ok,
                },
            };
            var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = 16 * 1024 * 1024 });
            _owned.Add(channel);
            invokers[i] = channel.CreateCallInvoker();
        }

        return invokers;
    }

    /// <summary>A signed HPKE envelope as the SDK builds it (DESIGN §3.2) for <see cref="TrueJob"/>.</summary>
    public Envelope Envelope(byte[] input, string job = TrueJob) => Core.Envelope(Client, job, input);

    /// <summary>Lines of <paramref name="service"/>'s audit log whose action ends with <paramref name="method"/>.</summary>
    public int AuditCount(string service, string method)
    {
        using var stream = new FileStream(Path.Combine(Layout.Data(service), "audit.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        var needle = "/" + method + "\"";
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains(needle, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        if (_baseline is { HasExited: false })
        {
            _baseline.Kill();
            await _baseline.WaitForExitAsync();
        }

        _baseline?.Dispose();
        StudioMlKey?.Dispose();
        foreach (var d in _owned)
        {
            d.Dispose();
        }

        await Core.DisposeAsync();
    }
}
