using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Strongroom.Crypto;
using Strongroom.Operator;
using Strongroom.Pki;
using Strongroom.Resilience.Tests.Support;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using Strongroom.Transport.Tls;

namespace Strongroom.Resilience.Tests;

/// <summary>
/// Identity churn under load: certificates renewed on disk while clients work, an identity put on
/// the deny-list while it has open connections and a WatchJob stream, and a client flooding the
/// edge and the runner with their real limits on. Figures go to the test output and
/// /tmp/strongroom-resilience-churn-figures.txt.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class IdentityChurnTests(ResilienceStack stack)
{
    /// <summary>Strongroom:Tls:ReloadInterval, which the stack leaves at its default (docs/hosting.md).</summary>
    private static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(1);

    private static readonly string FiguresPath = Path.Combine(Path.GetTempPath(), "strongroom-resilience-churn-figures.txt");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Certificates_renewed_under_load_are_presented_on_new_handshakes_within_the_reload_interval_without_restart_or_failed_calls()
    {
        var pki = new PkiDirectory(stack.Layout.Pki);
        var pids = ResilienceStack.Services.ToDictionary(s => s, stack.Pid);
        var aliceId = WorkloadIdentity.Client("alice");

        // alice's own channel re-handshakes every 2 s and records which certificate each side showed.
        var handshakes = new ConcurrentQueue<(DateTime At, string Side, string Serial)>();
        using var aliceCert = new ReloadingCertificate(pki.CertificatePath(aliceId), pki.KeyPath(aliceId), ReloadInterval);
        using var aliceChannel = RecordingChannel(stack.Layout.EdgeAddress, "edge", aliceCert, TimeSpan.FromSeconds(2), handshakes);
        var aliceRunner = new Runner.V1.Runner.RunnerClient(aliceChannel);

        var load = new SteadyLoad(stack);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var callers = new[]
        {
            Loop(() => load.RunOneAsync(stack.Alice, aliceRunner), stop.Token),
            Loop(() => load.RunOneAsync(stack.Alice), stop.Token),
            Loop(() => load.RunOneAsync(stack.Bob), stop.Token),
        };
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);

        // Renew every server certificate and alice's client certificate while the load runs.
        var renewedAt = new Dictionary<string, (DateTime At, string Old, string New)>(StringComparer.Ordinal);
        foreach (var service in ResilienceStack.Services)
        {
            var old = await PresentedSerialAsync(service);
            using var fresh = pki.Issue(WorkloadIdentity.Service(service));
            renewedAt[service] = (DateTime.UtcNow, old, fresh.SerialNumber);
            Assert.NotEqual(old, fresh.SerialNumber);
        }

        var oldAlice = aliceCert.Current.SerialNumber;
        using (var fresh = pki.Issue(aliceId))
        {
            renewedAt["client/alice"] = (DateTime.UtcNow, oldAlice, fresh.SerialNumber);
        }

        // Probe every listener's handshake until ReloadInterval + 2 s after its renewal.
        var probes = new List<(string Service, double AfterSeconds, string Serial)>();
        var probeUntil = renewedAt.Values.Max(r => r.At) + ReloadInterval + TimeSpan.FromSeconds(2);
        while (DateTime.UtcNow < probeUntil)
        {
            foreach (var service in ResilienceStack.Services)
            {
                var startedAt = DateTime.UtcNow;
                probes.Add((service, (startedAt - renewedAt[service].At).TotalSeconds, await PresentedSerialAsync(service)));
            }

            await Task.Delay(100, Ct);
        }

        // alice's channel must have re-handshaken with her new certificate meanwhile (2 s connection lifetime).
        var aliceDeadline = renewedAt["client/alice"].At + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < aliceDeadline && !handshakes.Any(h => h.Side == "client" && h.Serial == renewedAt["client/alice"].New))
        {
            await Task.Delay(100, Ct);
        }

        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        var report = new StringBuilder().AppendLine("certificate renewal under load:")
            .AppendLine("| identity | first handshake with the new serial after renewal | handshakes started > ReloadInterval after renewal | of them with the old serial |")
            .AppendLine("| --- | --- | --- | --- |");
        var late = new List<string>();
        foreach (var service in ResilienceStack.Services)
        {
            var mine = probes.Where(p => p.Service == service).ToList();
            var first = mine.Where(p => p.Serial == renewedAt[service].New).Select(p => p.AfterSeconds).DefaultIfEmpty(double.NaN).Min();
            var after = mine.Where(p => p.AfterSeconds > ReloadInterval.TotalSeconds).ToList();
            var stale = after.Count(p => p.Serial != renewedAt[service].New);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {service} | {first:0.00} s | {after.Count} | {stale} |");
            if (after.Count == 0 || stale > 0)
            {
                late.Add($"{service}: {stale} of {after.Count} handshakes started more than {ReloadInterval.TotalSeconds} s after renewal showed the old certificate");
            }
        }

        var aliceRenewal = renewedAt["client/alice"];
        var aliceAfter = handshakes.Where(h => h.Side == "client" && h.At > aliceRenewal.At + ReloadInterval).ToList();
        var aliceFirst = handshakes.Where(h => h.Side == "client" && h.Serial == aliceRenewal.New).Select(h => (h.At - aliceRenewal.At).TotalSeconds).DefaultIfEmpty(double.NaN).Min();
        report.AppendLine(CultureInfo.InvariantCulture, $"| client/alice (presented to the edge) | {aliceFirst:0.00} s | {aliceAfter.Count} | {aliceAfter.Count(h => h.Serial != aliceRenewal.New)} |");
        var ops = load.Operations.ToList();
        var errors = ops.Where(o => o.Error is not null).ToList();
        report.AppendLine(CultureInfo.InvariantCulture, $"load: {ops.Count} operations (submit → watch → fetch + verify) by 3 callers, {errors.Count} errors; {SteadyLoad.Latency(ops.Select(o => o.TotalMs))}");
        errors.Take(10).ToList().ForEach(e => report.AppendLine("  " + e.Error));
        await WriteFiguresAsync(report.ToString());

        Assert.True(late.Count == 0, string.Join("\n", late) + "\n" + report);
        Assert.True(aliceAfter.Count > 0 && aliceAfter.All(h => h.Serial == aliceRenewal.New), "alice's new handshakes did not present her renewed certificate\n" + report);
        Assert.True(errors.Count == 0, "calls failed while certificates were renewed\n" + report);
        Assert.True(ops.Count >= 10, "the load was too thin to prove anything\n" + report);
        Assert.All(ResilienceStack.Services, s => Assert.True(pids[s] == stack.Pid(s), $"{s} was restarted"));
    }

    [Fact]
    public async Task An_identity_added_to_the_deny_list_file_under_load_is_refused_on_open_connections_and_its_streams_end_within_the_documented_bound()
    {
        var carol = await ClientAsync("carol");
        var runner = stack.RunnerThroughEdge(carol.Name);

        // carol keeps an HTTP/2 connection busy with GetJob calls and holds a WatchJob stream open on a 20 s job.
        var sleepJob = (await runner.SubmitAsync(new SubmitRequest { Envelope = stack.Envelope(carol, "sleep", [1]) }, cancellationToken: Ct)).JobId;
        var stream = runner.WatchJob(new WatchJobRequest { JobId = sleepJob }, cancellationToken: Ct);
        Assert.True(await stream.ResponseStream.MoveNext(Ct), "the WatchJob stream sent nothing");
        var streamEnd = Task.Run(async () =>
        {
            try
            {
                while (await stream.ResponseStream.MoveNext(Ct))
                {
                    // The job is sleeping; nothing final arrives before the deny-list cuts the stream.
                }

                return (DateTime.UtcNow, StatusCode.OK, "stream completed");
            }
            catch (RpcException ex)
            {
                return (DateTime.UtcNow, ex.StatusCode, ex.Status.Detail);
            }
        }, Ct);

        var carolCalls = new ConcurrentQueue<(DateTime StartedAt, StatusCode Status)>();
        var load = new SteadyLoad(stack);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var callers = new[]
        {
            Loop(async () =>
            {
                var at = DateTime.UtcNow;
                try
                {
                    await runner.GetJobAsync(new GetJobRequest { JobId = sleepJob }, cancellationToken: Ct);
                    carolCalls.Enqueue((at, StatusCode.OK));
                }
                catch (RpcException ex)
                {
                    carolCalls.Enqueue((at, ex.StatusCode));
                }

                await Task.Delay(50, Ct);
            }, stop.Token),
            Loop(() => load.RunOneAsync(stack.Alice), stop.Token),
            Loop(() => load.RunOneAsync(stack.Bob), stop.Token),
        };
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);

        var deniedAt = await WriteDenyListAsync("# identity churn test\nclient/carol\n");
        var ended = await streamEnd.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await Task.Delay(ReloadInterval * 3, Ct);

        // A new connection is refused at the handshake (no RPC exists: UNAVAILABLE or INTERNAL).
        StatusCode fresh;
        using (var connections = new ServiceConnections(stack.Layout.Pki, "client/carol"))
        {
            try
            {
                await new Runner.V1.Runner.RunnerClient(connections.To(stack.Layout.EdgeAddress, "edge")).GetJobAsync(new GetJobRequest { JobId = sleepJob }, cancellationToken: Ct);
                fresh = StatusCode.OK;
            }
            catch (RpcException ex)
            {
                fresh = ex.StatusCode;
            }
        }

        // Lifted again: carol's open connection is served within the same bound.
        var liftedAt = await WriteDenyListAsync("");
        await Task.Delay(ReloadInterval * 3, Ct);
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        var bound = ReloadInterval;
        var streamBound = ReloadInterval * 2;
        var calls = carolCalls.ToList();
        var beforeDeny = calls.Where(c => c.StartedAt < deniedAt).ToList();
        var denied = calls.Where(c => c.StartedAt > deniedAt + bound && c.StartedAt < liftedAt).ToList();
        var afterLift = calls.Where(c => c.StartedAt > liftedAt + bound).ToList();
        var firstRefused = calls.Where(c => c.StartedAt >= deniedAt && c.Status == StatusCode.PermissionDenied).Select(c => (c.StartedAt - deniedAt).TotalSeconds).DefaultIfEmpty(double.NaN).Min();
        var firstServedAgain = calls.Where(c => c.StartedAt >= liftedAt && c.Status == StatusCode.OK).Select(c => (c.StartedAt - liftedAt).TotalSeconds).DefaultIfEmpty(double.NaN).Min();
        var streamAfter = (ended.Item1 - deniedAt).TotalSeconds;
        // The refused handshake is audited from the TLS layer (docs/hosting.md), naming carol.
        var edgeAudit = await File.ReadAllLinesAsync(Path.Combine(stack.Layout.Data("edge"), "audit.log"), Ct);
        var handshakeAudited = edgeAudit.Any(l => l.Contains("\"tls.handshake\"", StringComparison.Ordinal) && l.Contains("client/carol", StringComparison.Ordinal) && l.Contains("identity is on the deny-list", StringComparison.Ordinal));
        var abortAudited = edgeAudit.Any(l => l.Contains("\"ABORTED\"", StringComparison.Ordinal) && l.Contains("client/carol", StringComparison.Ordinal) && l.Contains("/WatchJob", StringComparison.Ordinal));
        var ops = load.Operations.ToList();
        var errors = ops.Where(o => o.Error is not null).ToList();
        var report = new StringBuilder().AppendLine("deny-list under load (file written at t=0; bound: calls ReloadInterval = 1 s, open edge streams 2 × ReloadInterval = 2 s):")
            .AppendLine(CultureInfo.InvariantCulture, $"  carol on her open connection: first PERMISSION_DENIED for a call started {firstRefused:0.00} s after; calls started > {bound.TotalSeconds} s after: {denied.Count}, refused {denied.Count(c => c.Status == StatusCode.PermissionDenied)}; before: {beforeDeny.Count} calls, {beforeDeny.Count(c => c.Status == StatusCode.OK)} OK")
            .AppendLine(CultureInfo.InvariantCulture, $"  carol's WatchJob stream (opened before): ended {streamAfter:0.00} s after with {ended.Item2} ({ended.Item3}); abort audited by the edge: {abortAudited}")
            .AppendLine(CultureInfo.InvariantCulture, $"  carol on a new connection: {fresh}; edge audit has the refused handshake: {handshakeAudited}")
            .AppendLine(CultureInfo.InvariantCulture, $"  lifted: first OK call started {firstServedAgain:0.00} s after; calls started > {bound.TotalSeconds} s after: {afterLift.Count}, OK {afterLift.Count(c => c.Status == StatusCode.OK)}")
            .AppendLine(CultureInfo.InvariantCulture, $"  others (alice, bob): {ops.Count} operations, {errors.Count} errors; {SteadyLoad.Latency(ops.Select(o => o.TotalMs))}");
        errors.Take(10).ToList().ForEach(e => report.AppendLine("    " + e.Error));
        await WriteFiguresAsync(report.ToString());

        Assert.True(beforeDeny.Count > 0 && beforeDeny.All(c => c.Status == StatusCode.OK), "carol was not served before the deny\n" + report);
        Assert.True(denied.Count >= 3 && denied.All(c => c.Status == StatusCode.PermissionDenied), $"calls started more than {bound.TotalSeconds} s after the deny were not all refused\n{report}");
        Assert.True(ended.Item2 != StatusCode.OK && streamAfter <= streamBound.TotalSeconds, $"the open stream was not cut within {streamBound.TotalSeconds} s\n{report}");
        Assert.True(fresh is StatusCode.Unavailable or StatusCode.Internal, $"a new connection as carol got {fresh}\n{report}");
        Assert.True(handshakeAudited, "the edge did not audit carol's refused handshake\n" + report);
        Assert.True(abortAudited, "the edge did not audit the stream it aborted\n" + report);
        Assert.True(afterLift.Count >= 3 && afterLift.All(c => c.Status == StatusCode.OK), "carol was not served again after the deny was lifted\n" + report);
        Assert.True(errors.Count == 0, "other clients saw errors\n" + report);
    }

    [Fact]
    public async Task Rate_limits_hold_a_flooding_client_to_its_quota_while_other_clients_are_served()
    {
        // The edge's token bucket and the runner's Submit budget, on (the fixture lifts both).
        const int edgeBurst = 20, edgePerSecond = 10, edgeInFlight = 8, submitBurst = 5, submitsPerMinute = 60;
        var demo = stack.Demo;
        try
        {
            await stack.RestartWithAsync("edge",
            [
                $"--Edge:RateLimit:TokenLimit={edgeBurst}", $"--Edge:RateLimit:TokensPerPeriod={edgePerSecond}",
                "--Edge:RateLimit:ReplenishmentPeriod=00:00:01", $"--Edge:RateLimit:ConcurrentRequestLimit={edgeInFlight}",
            ], Ct);
            await stack.RestartWithAsync("runner", [$"--Runner:SubmitBurst={submitBurst}", $"--Runner:SubmitsPerMinute={submitsPerMinute}"], Ct);

            // Others: bob and demo, one operation a second between them (4 edge calls and 1 Submit each), well inside both quotas.
            var quiet = new SteadyLoad(stack);
            var (baseline, _, _) = await quiet.PacedAsync([stack.Bob, demo], 1, TimeSpan.FromSeconds(8), Ct);

            var others = new SteadyLoad(stack);
            var othersRun = others.PacedAsync([stack.Bob, demo], 1, TimeSpan.FromSeconds(20), Ct);
            await Task.Delay(TimeSpan.FromSeconds(2), Ct);

            // alice floods Submit with fresh envelopes from 16 callers.
            var outcomes = new ConcurrentQueue<(StatusCode Status, string Detail)>();
            var flood = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var runner = stack.RunnerThroughEdge("alice");
            var flooders = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await runner.SubmitAsync(new SubmitRequest { Envelope = stack.Envelope(stack.Alice, "cat", Encoding.UTF8.GetBytes("flood-" + Guid.NewGuid())) }, cancellationToken: Ct);
                        outcomes.Enqueue((StatusCode.OK, ""));
                    }
                    catch (RpcException ex)
                    {
                        outcomes.Enqueue((ex.StatusCode, ex.Status.Detail));
                    }
                }
            }, Ct)).ToArray();
            await Task.WhenAll(flooders);
            var seconds = flood.Elapsed.TotalSeconds;
            var (during, _, _) = await othersRun;

            var all = outcomes.ToList();
            var accepted = all.Count(o => o.Status == StatusCode.OK);
            var byEdge = all.Count(o => o.Status == StatusCode.ResourceExhausted && o.Detail == "rate limit exceeded");
            var byRunner = all.Count(o => o.Status == StatusCode.ResourceExhausted && o.Detail.StartsWith("submit rate limit reached", StringComparison.Ordinal));
            var other = all.Count - accepted - byEdge - byRunner;
            var edgeAdmitted = all.Count - byEdge;
            var periods = Math.Ceiling(seconds);
            var submitQuota = submitBurst + periods * Math.Max(1, submitsPerMinute / 60);
            var edgeQuota = edgeBurst + periods * edgePerSecond;
            var errors = during.Where(o => o.Error is not null).ToList();
            var report = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"rate limits (edge {edgeBurst} burst + {edgePerSecond}/s, {edgeInFlight} in flight; runner Submit {submitBurst} burst + {submitsPerMinute}/min):")
                .AppendLine(CultureInfo.InvariantCulture, $"  flooder alice, 16 callers for {seconds:0.0} s: {all.Count} Submits ({all.Count / seconds:0} /s); accepted {accepted} ({accepted / seconds:0.00} /s; quota {submitQuota:0} = burst + {periods:0} s × 1/s); edge admitted {edgeAdmitted} (quota {edgeQuota:0}); refused by the edge {byEdge}, by the runner {byRunner}, other {other}")
                .AppendLine(CultureInfo.InvariantCulture, $"  others (bob, demo; 1 op/s): before the flood {baseline.Count} ops, {baseline.Count(o => o.Error is null)} OK, {SteadyLoad.Latency(baseline.Select(o => o.TotalMs))}; during {during.Count} ops, {during.Count - errors.Count} OK, {SteadyLoad.Latency(during.Select(o => o.TotalMs))}; Submit during {SteadyLoad.Latency(during.Where(o => o.JobId is not null).Select(o => o.SubmitMs))}");
            errors.Take(10).ToList().ForEach(e => report.AppendLine("    " + e.Error));
            // Name every status the flooder saw besides OK and the two refusals, so a failure says what it was.
            all.Where(o => o.Status != StatusCode.OK && !(o.Status == StatusCode.ResourceExhausted && (o.Detail == "rate limit exceeded" || o.Detail.StartsWith("submit rate limit reached", StringComparison.Ordinal))))
                .GroupBy(o => (o.Status, o.Detail)).Take(5).ToList()
                .ForEach(g => report.AppendLine(CultureInfo.InvariantCulture, $"    flooder saw {g.Key.Status} \"{g.Key.Detail}\" × {g.Count()}"));
            await WriteFiguresAsync(report.ToString());

            Assert.True(accepted <= submitQuota, $"the flooder got {accepted} Submits accepted, over its quota of {submitQuota}\n{report}");
            Assert.True(edgeAdmitted <= edgeQuota, $"the edge admitted {edgeAdmitted} flood requests, over its quota of {edgeQuota}\n{report}");
            // Held *to* its quota, not starved below it: the budget refills as documented.
            Assert.True(accepted >= submitQuota / 2, $"the flooder got only {accepted} of its quota {submitQuota}\n{report}");
            Assert.True(other == 0, "the flooder saw statuses other than OK and RESOURCE_EXHAUSTED\n" + report);
            Assert.True(baseline.All(o => o.Error is null) && errors.Count == 0, "other clients were not all served\n" + report);
            Assert.True(during.Count >= 15, "the other clients' load was too thin\n" + report);
        }
        finally
        {
            // Restore the fixture's lifted limits for the suites that run after this one.
            try
            {
                await stack.RestartWithAsync("edge", [], Ct);
            }
            finally
            {
                await stack.RestartWithAsync("runner", [], Ct);
                await EdgeReachesRunnerAsync();
            }
        }
    }

    /// <summary>Waits until a call through the edge reaches the restarted runner (NOT_FOUND for an unknown job), so the next test starts on a working path.</summary>
    private async Task EdgeReachesRunnerAsync()
    {
        foreach (var client in new[] { "alice", "bob", "demo" })
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await stack.RunnerThroughEdge(client).GetJobAsync(new GetJobRequest { JobId = "no-such-job" }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: Ct);
                    break;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
                {
                    break;
                }
                catch (RpcException) when (attempt < 40)
                {
                    await Task.Delay(250, Ct);
                }
            }
        }
    }

    /// <summary>Runs <paramref name="step"/> back to back until <paramref name="stop"/>.</summary>
    private static Task Loop(Func<Task> step, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await step();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }, CancellationToken.None);

    /// <summary>A registered client with its own certificate (so denying it touches no other test's client).</summary>
    private async Task<StackClient> ClientAsync(string name)
    {
        StackPki.Issue(stack.Layout.Pki, "client/" + name, 7);
        return await stack.RegisterAsync(name, Ed25519KeyPair.Generate(exportable: true), Ct);
    }

    /// <summary>Replaces the deny-list file atomically (temp + rename, as an operator's tooling should); returns when it was replaced.</summary>
    private async Task<DateTime> WriteDenyListAsync(string content)
    {
        var temp = stack.DenyListFile + ".tmp";
        await File.WriteAllTextAsync(temp, content, Ct);
        File.Move(temp, stack.DenyListFile, overwrite: true);
        return DateTime.UtcNow;
    }

    /// <summary>The serial of the certificate <paramref name="service"/>'s public listener presents on a new handshake.</summary>
    private async Task<string> PresentedSerialAsync(string service)
    {
        var pki = new PkiDirectory(stack.Layout.Pki);
        var op = WorkloadIdentity.Operator("admin");
        using var client = PkiDirectory.LoadPair(pki.CertificatePath(op), pki.KeyPath(op));
        var validator = new PeerCertificateValidator(new TrustAnchor(pki.TrustBundlePath, TimeSpan.Zero), EmptyDenyList.Instance);
        var uri = new Uri(stack.PublicAddress(service));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port, Ct);
        await using var tls = new SslStream(tcp.GetStream());
        string? serial = null;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            ClientCertificates = [client],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                serial = (certificate as X509Certificate2)?.SerialNumber;
                return validator.Validate(certificate, PeerRole.Server, WorkloadIdentity.Service(service)).Ok;
            },
        }, Ct);
        return serial ?? throw new InvalidOperationException($"{service} presented no certificate");
    }

    /// <summary>A gRPC channel like MtlsChannelFactory's, recording the serial each side presents on every handshake.</summary>
    private GrpcChannel RecordingChannel(string address, string service, ReloadingCertificate certificate, TimeSpan connectionLifetime, ConcurrentQueue<(DateTime At, string Side, string Serial)> handshakes)
    {
        var pki = new PkiDirectory(stack.Layout.Pki);
        var validator = new PeerCertificateValidator(new TrustAnchor(pki.TrustBundlePath, TimeSpan.Zero), EmptyDenyList.Instance);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionLifetime = connectionLifetime,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                LocalCertificateSelectionCallback = (_, _, _, _, _) =>
                {
                    var current = certificate.Current;
                    handshakes.Enqueue((DateTime.UtcNow, "client", current.SerialNumber));
                    return current;
                },
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                {
                    handshakes.Enqueue((DateTime.UtcNow, "server", (presented as X509Certificate2)?.SerialNumber ?? "-"));
                    return validator.Validate(presented, PeerRole.Server, WorkloadIdentity.Service(service)).Ok;
                },
            },
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    private static async Task WriteFiguresAsync(string text)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        await File.AppendAllTextAsync(FiguresPath, $"[{DateTime.UtcNow:u}] {text}", Ct);
    }
}
