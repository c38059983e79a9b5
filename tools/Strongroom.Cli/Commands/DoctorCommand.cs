using System.CommandLine;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Health.V1;
using Strongroom.Cli.Dev;
using Strongroom.Cli.Experimenter;
using Strongroom.Operator;
using Strongroom.Pki;
using Strongroom.Stack;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Cli.Commands;

/// <summary>One finding of <c>strongroom doctor</c>; <see cref="Detail"/> says what is wrong and what to do.</summary>
public sealed record DoctorCheck(string Name, bool Ok, string Detail);

/// <summary>
/// <c>strongroom doctor</c>: names what is wrong with this machine's view of a deployment —
/// certificates (expired, not yet valid, not from the deployment CA), clock skew against storage,
/// each service's health over mTLS, and bubblewrap for the runner.
/// </summary>
public static class DoctorCommand
{
    /// <summary>Requests carry Unix-second times the runner accepts within ±60 s (DESIGN §3.2).</summary>
    public const int MaxSkewSeconds = 60;

    public static Command Build()
    {
        var state = new Option<string?>("--state") { Description = "State folder holding pki/ (default: .dev in the repository)" };
        var identity = new Option<string>("--identity") { Description = "The identity whose certificate to check, client/NAME", DefaultValueFactory = _ => DevDemo.DemoClient };
        var asOperator = new Option<string>("--as") { Description = "Operator identity for the services' health on their admin listeners (skipped when its certificate is absent)", DefaultValueFactory = _ => "operator/admin" };
        var portOffset = new Option<int>("--port-offset") { Description = "Added to every dev port (74xx), as for 'dev up --port-offset'" };
        var bwrap = new Option<string>("--bwrap") { Description = "Where the runner expects bubblewrap", DefaultValueFactory = _ => "/usr/bin/bwrap" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var doctor = new Command("doctor", "Check certificates, clock skew, every service over mTLS and bubblewrap; name what is wrong.") { state, identity, asOperator, portOffset, bwrap, json };
        doctor.SetAction((r, ct) => RunAsync(
            new DevLayout(Environment.CurrentDirectory, ClientOptions.ResolveState(r.GetValue(state)), r.GetValue(portOffset)),
            r.GetValue(identity)!, r.GetValue(asOperator)!, r.GetValue(bwrap)!, r.GetValue(json), Console.Out, TimeProvider.System, ct));
        return doctor;
    }

    public static async Task<int> RunAsync(DevLayout layout, string identity, string asOperator, string bwrapPath, bool json, TextWriter output, TimeProvider clock, CancellationToken cancellationToken)
    {
        var checks = await CheckAsync(layout, identity, asOperator, bwrapPath, clock, cancellationToken);
        if (json)
        {
            ClientOptions.PrintJson(output, new JsonObject
            {
                ["ok"] = checks.All(c => c.Ok),
                ["checks"] = new JsonArray(checks.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["ok"] = c.Ok, ["detail"] = c.Detail }).ToArray()),
            });
        }
        else
        {
            foreach (var c in checks)
            {
                output.WriteLine($"{(c.Ok ? "ok  " : "FAIL")}  {c.Name,-22} {c.Detail}");
            }

            var failed = checks.Count(c => !c.Ok);
            output.WriteLine(failed == 0 ? "everything checked is fine" : $"{failed} problem(s) found");
        }

        return checks.All(c => c.Ok) ? ExitCodes.Ok : ExitCodes.Failed;
    }

    public static async Task<IReadOnlyList<DoctorCheck>> CheckAsync(DevLayout layout, string identity, string asOperator, string bwrapPath, TimeProvider clock, CancellationToken cancellationToken)
    {
        var pki = new PkiDirectory(layout.Pki);
        var checks = new List<DoctorCheck>();
        if (!File.Exists(pki.TrustBundlePath))
        {
            checks.Add(new("deployment CA", false, $"no {pki.TrustBundlePath}: get the deployment's ca.crt from an operator (dev: 'strongroom dev up' creates it)"));
        }

        var identityUsable = CheckCertificate(pki, identity, clock, checks);
        var operatorUsable = identity != asOperator && File.Exists(pki.CertificatePath(WorkloadIdentity.ParseShort(asOperator))) && CheckCertificate(pki, asOperator, clock, checks);
        // The same programs and the same install command as 'dev up' (bubblewrap at the configured path).
        var host = HostPrerequisites.System;
        foreach (var program in HostPrerequisites.Programs.Select(p => p.Name == "bubblewrap" ? p with { Path = bwrapPath } : p))
        {
            var plan = host.Plan([program]);
            checks.Add(plan.Satisfied
                ? new(program.Name, true, program.Path)
                : new(program.Name, false, $"{program.Name} missing at {program.Path}: {program.Why}; install it: {plan.InstallCommand(host.IsRoot)}"
                    + (plan.CanInstall ? " ('strongroom dev up' does this itself as root)" : "")));
        }

        if (!File.Exists(pki.TrustBundlePath))
        {
            return checks;
        }

        checks.Add(await ClockSkewAsync(layout, pki, clock, cancellationToken));

        if (operatorUsable)
        {
            using var connections = new ServiceConnections(layout.Pki, asOperator);
            foreach (var spec in ServiceSpec.All)
            {
                checks.Add(await HealthAsync(connections, spec.Name, spec.AdminAddress(layout), cancellationToken));
            }
        }
        else
        {
            checks.Add(new("services", true, $"skipped the services' admin listeners: no usable {asOperator} certificate here (operators run 'strongroom doctor --as operator/NAME')"));
        }

        if (identityUsable)
        {
            checks.Add(await ThroughEdgeAsync(layout, identity, cancellationToken));
        }

        return checks;
    }

    /// <summary>Expired, not yet valid, or not issued by the deployment CA: each said plainly. True when usable.</summary>
    private static bool CheckCertificate(PkiDirectory pki, string identity, TimeProvider clock, List<DoctorCheck> checks)
    {
        var name = $"certificate {identity}";
        WorkloadIdentity id;
        try
        {
            id = WorkloadIdentity.ParseShort(identity);
        }
        catch (FormatException)
        {
            checks.Add(new(name, false, $"'{identity}' is not an identity: use client/NAME or operator/NAME"));
            return false;
        }

        var path = pki.CertificatePath(id);
        if (!File.Exists(path))
        {
            checks.Add(new(name, false, $"no certificate at {path}: an operator runs 'strongroom pki issue {identity}'"));
            return false;
        }

        using var certificate = X509CertificateLoader.LoadCertificateFromFile(path);
        var now = clock.GetUtcNow().UtcDateTime;
        if (certificate.NotBefore.ToUniversalTime() > now)
        {
            checks.Add(new(name, false, $"not yet valid: valid from {certificate.NotBefore.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture)} (is this machine's clock behind?)"));
            return false;
        }

        if (certificate.NotAfter.ToUniversalTime() <= now)
        {
            checks.Add(new(name, false, $"expired at {certificate.NotAfter.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture)}: renew it with 'strongroom pki renew {identity}'"));
            return false;
        }

        if (File.Exists(pki.TrustBundlePath) && !IssuedBy(certificate, pki.TrustBundlePath))
        {
            checks.Add(new(name, false, $"not issued by the deployment CA in {pki.TrustBundlePath} (a foreign certificate; every service will refuse it): issue one from this deployment with 'strongroom pki issue {identity}'"));
            return false;
        }

        var left = certificate.NotAfter.ToUniversalTime() - now;
        checks.Add(new(name, true, $"valid until {certificate.NotAfter.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture)} ({left.TotalDays:0.#} days left), issued by the deployment CA"));
        return true;
    }

    /// <summary>Chains to the bundle, judged at a time inside the certificate's validity so only the issuer is in question.</summary>
    private static bool IssuedBy(X509Certificate2 certificate, string bundlePath)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(bundlePath);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        var ok = chain.Build(certificate);
        foreach (var root in roots)
        {
            root.Dispose();
        }

        return ok;
    }

    /// <summary>Compares this clock with the Date storage's read-only HTTPS listener sends (trusting only the deployment CA).</summary>
    private static async Task<DoctorCheck> ClockSkewAsync(DevLayout layout, PkiDirectory pki, TimeProvider clock, CancellationToken cancellationToken)
    {
        var url = $"https://127.0.0.1:{layout.Port(ServiceSpec.StorageJwksDevPort)}/checkpoint";
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(pki.TrustBundlePath);
        try
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
            policy.CustomTrustStore.AddRange(roots);
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy, TargetHost = "localhost" },
                ConnectTimeout = TimeSpan.FromSeconds(3),
            };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
            var before = clock.GetUtcNow();
            using var response = await http.GetAsync(url, cancellationToken);
            var after = clock.GetUtcNow();
            if (response.Headers.Date is not { } serverDate)
            {
                return new("clock", false, $"storage at {url} sent no Date header; cannot measure clock skew");
            }

            // Date is truncated to whole seconds (on average half a second early); compare its middle with the middle of the round trip.
            var local = before + ((after - before) / 2);
            var skew = (long)Math.Round((local - serverDate.AddMilliseconds(500)).TotalSeconds);
            var text = $"clock skew of {skew} s against storage ({(skew == 0 ? "in sync" : skew > 0 ? "this machine is ahead" : "this machine is behind")})";
            return Math.Abs(skew) > MaxSkewSeconds
                ? new("clock", false, $"{text}: requests are refused beyond ±{MaxSkewSeconds} s; sync this machine's clock (NTP)")
                : new("clock", true, text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new("clock", false, $"storage's read-only listener {url} is unreachable ({ex.Message}); cannot measure clock skew");
        }
        finally
        {
            foreach (var root in roots)
            {
                root.Dispose();
            }
        }
    }

    private static async Task<DoctorCheck> HealthAsync(ServiceConnections connections, string service, string address, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await new Health.HealthClient(connections.To(address, service, TimeSpan.FromSeconds(3)))
                .CheckAsync(new HealthCheckRequest(), cancellationToken: cancellationToken);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? new(service, true, $"healthy at {address} (gRPC health over mTLS, server identity verified)")
                : new(service, false, $"{address} answers {reply.Status}: see its log");
        }
        catch (RpcException ex)
        {
            return new(service, false, $"unreachable at {address} ({ex.StatusCode}: {ex.Status.Detail}); start the stack ('strongroom dev up') or check the address");
        }
    }

    /// <summary>The client's own path: mTLS to the edge and a key-log read relayed to storage.</summary>
    private static async Task<DoctorCheck> ThroughEdgeAsync(DevLayout layout, string identity, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = new Strongroom.Client.StrongroomConnection(layout.Pki, identity, layout.EdgeAddress, deadline: TimeSpan.FromSeconds(3));
            var checkpoint = (await connection.Storage.GetCheckpointAsync(new StorageApi.GetCheckpointRequest(), cancellationToken: cancellationToken)).Checkpoint;
            return new("client via edge", true, $"{identity} reached storage through the edge at {layout.EdgeAddress} (key log size {checkpoint?.TreeSize})");
        }
        catch (RpcException ex)
        {
            return new("client via edge", false, $"{identity} cannot reach storage through the edge at {layout.EdgeAddress} ({ex.StatusCode}: {ex.Status.Detail})");
        }
    }
}
