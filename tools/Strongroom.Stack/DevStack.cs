using System.Diagnostics;
using System.Runtime.InteropServices;
using Grpc.Health.V1;
using Strongroom.Pki;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Stack;

/// <summary>
/// Builds and starts the local stack as real processes on 127.0.0.1, health-checks each over mTLS,
/// and stops them cleanly (SIGTERM, then kill after a grace period).
/// </summary>
public sealed partial class DevStack(DevLayout layout, TextWriter output) : IAsyncDisposable
{
    private readonly List<(ServiceSpec Spec, Process Process)> _running = [];

    public async Task<bool> BuildAsync(CancellationToken cancellationToken)
    {
        foreach (var spec in ServiceSpec.All)
        {
            Step($"build {spec.Name}");
            var exit = await RunAsync("dotnet", ["build", spec.ProjectPath(layout), "-c", layout.Configuration, "--nologo", "-v", "q", "-clp:ErrorsOnly"], cancellationToken);
            if (exit != 0)
            {
                output.WriteLine($"  build of {spec.Name} failed (exit {exit}); run: dotnet build {spec.ProjectPath(layout)}");
                return false;
            }
        }

        return true;
    }

    public void EnsurePki()
    {
        Step("dev PKI");
        StackPki.Ensure(layout.Pki, "dev", 7, new PrefixWriter(output, "  "));
    }

    /// <summary>A random kms passphrase, written 0600 once; only the kms process is told where it is.</summary>
    public void EnsureSecrets()
    {
        SecureFile.CreatePrivateDirectory(layout.Secrets);
        if (!File.Exists(layout.KmsPassphraseFile))
        {
            Step("kms passphrase");
            SecureFile.WriteAllText(layout.KmsPassphraseFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), secret: true);
            output.WriteLine($"  generated {layout.KmsPassphraseFile} (0600; given to kms alone)");
        }

        if (!File.Exists(layout.OperatorKeyFile))
        {
            Step("operator/admin signing key");
            using var key = Strongroom.Crypto.Ed25519KeyPair.Generate(exportable: true);
            var seed = key.ExportSeed();
            SecureFile.WriteAllText(layout.OperatorKeyFile, Convert.ToBase64String(seed), secret: true);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
            output.WriteLine($"  generated {layout.OperatorKeyFile} (0600; storage pins its public key for client registrations)");
        }
    }

    public void Start(ServiceSpec spec)
    {
        var pki = new PkiDirectory(layout.Pki);
        var id = WorkloadIdentity.Service(spec.Name);
        Directory.CreateDirectory(layout.Data(spec.Name));
        Directory.CreateDirectory(layout.Logs);
        var args = new List<string>
        {
            spec.AssemblyPath(layout),
            "--contentRoot", spec.OutputFolder(layout),
            $"--Strongroom:Identity={spec.Name}",
            $"--Strongroom:Tls:CaFile={pki.TrustBundlePath}",
            $"--Strongroom:Tls:CertFile={pki.CertificatePath(id)}",
            $"--Strongroom:Tls:KeyFile={pki.KeyPath(id)}",
            $"--Strongroom:Listeners:Public=127.0.0.1:{spec.PublicPort(layout)}",
            $"--Strongroom:Audit:Path={Path.Combine(layout.Data(spec.Name), "audit.log")}",
            $"--Strongroom:Listeners:Admin=127.0.0.1:{spec.AdminPort(layout)}",
        };
        args.AddRange(spec.Settings(layout));

        var logPath = Path.Combine(layout.Logs, spec.Name + ".log");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = layout.Data(spec.Name),
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + spec.Name);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.Exited += (_, _) => { lock (log) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _running.Add((spec, process));
        Step($"start {spec.Name} (pid {process.Id}) on 127.0.0.1:{spec.PublicPort(layout)}, admin :{spec.AdminPort(layout)}; log {logPath}");
    }

    /// <summary>Calls gRPC health on the admin listener over mTLS as the operator, checking the server really is <paramref name="spec"/>.</summary>
    public async Task<bool> WaitHealthyAsync(ServiceSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pki = new PkiDirectory(layout.Pki);
        var op = WorkloadIdentity.Operator("admin");
        using var cert = new ReloadingCertificate(pki.CertificatePath(op), pki.KeyPath(op), TimeSpan.FromSeconds(1));
        var validator = new PeerCertificateValidator(new TrustAnchor(pki.TrustBundlePath, TimeSpan.FromSeconds(1)), EmptyDenyList.Instance);
        var invoker = MtlsChannelFactory.Create(
            new DownstreamOptions { Address = spec.AdminAddress(layout), Identity = spec.Name, Deadline = TimeSpan.FromSeconds(2) },
            cert, validator);
        var client = new Health.HealthClient(invoker);
        var deadline = DateTime.UtcNow + timeout;
        var process = _running.First(r => r.Spec == spec).Process;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            if (process.HasExited)
            {
                output.WriteLine($"  {spec.Name} exited with code {process.ExitCode}; see {Path.Combine(layout.Logs, spec.Name + ".log")}");
                return false;
            }

            try
            {
                var reply = await client.CheckAsync(new HealthCheckRequest(), cancellationToken: cancellationToken);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    Step($"{spec.Name} is healthy (gRPC health over mTLS, server identity {WorkloadIdentity.Service(spec.Name)} verified)");
                    return true;
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // Not listening yet.
            }

            await Task.Delay(250, cancellationToken);
        }

        output.WriteLine($"  {spec.Name} did not become healthy within {timeout.TotalSeconds:0}s; see {Path.Combine(layout.Logs, spec.Name + ".log")}");
        return false;
    }

    /// <summary>The running process of <paramref name="spec"/> (tests kill it).</summary>
    public Process ProcessOf(ServiceSpec spec) => _running.Last(r => r.Spec == spec).Process;

    /// <summary>SIGKILL, no grace: what a crash looks like to everyone else.</summary>
    public async Task KillAsync(ServiceSpec spec)
    {
        var process = ProcessOf(spec);
        process.Kill();
        await process.WaitForExitAsync();
        _running.RemoveAll(r => r.Process == process);
        process.Dispose();
        Step($"killed {spec.Name} (SIGKILL)");
    }

    /// <summary>SIGTERM and wait (kill after 10 s): a clean stop of one service, e.g. to restart it with other settings.</summary>
    public async Task StopAsync(ServiceSpec spec)
    {
        var process = ProcessOf(spec);
        await StopProcessAsync(process);
        _running.RemoveAll(r => r.Process == process);
        process.Dispose();
        Step($"stopped {spec.Name}");
    }

    private static async Task StopProcessAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        _ = Kill(process.Id, SigTerm);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var (spec, process) = _running[i];
            if (process.HasExited)
            {
                continue;
            }

            await StopProcessAsync(process);
            Step($"stopped {spec.Name}");
            process.Dispose();
        }

        _running.Clear();
    }

    private void Step(string message) => output.WriteLine("==> " + message);

    private static async Task<int> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode;
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Indents another writer's lines (for nested step output).</summary>
public sealed class PrefixWriter(TextWriter inner, string prefix) : TextWriter
{
    public override System.Text.Encoding Encoding => inner.Encoding;

    public override void WriteLine(string? value) => inner.WriteLine(prefix + value);

    public override void Write(char value) => inner.Write(value);
}
