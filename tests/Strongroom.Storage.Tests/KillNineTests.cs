using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Strongroom.Crypto;
using Strongroom.Pki;
using Strongroom.Storage.V1;
using Strongroom.Testing;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Storage.Tests;

/// <summary>
/// storage as a real process (the built Strongroom.Storage.dll, configured on the command line as
/// `strongroom dev up` does), killed with SIGKILL right after PutResult was acknowledged: after a
/// restart on the same SQLite file the result is there and its signature still verifies.
/// </summary>
public sealed class KillNineTests : IDisposable
{
    private readonly TestPki _pki = new();
    private Process? _process;

    private string Dll => Path.Combine(RepoPaths.Root, "services", "storage", "bin", "Debug", "net10.0", "Strongroom.Storage.dll");

    private Process Start(int publicPort, int adminPort)
    {
        var certificate = _pki.Issue(WorkloadIdentity.Storage);
        var data = Path.Combine(_pki.Root, "storage");
        Directory.CreateDirectory(data);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data };
        foreach (var a in new[]
        {
            Dll,
            "--contentRoot", Path.GetDirectoryName(Dll)!,
            $"--Strongroom:Tls:CaFile={_pki.CaFile}",
            $"--Strongroom:Tls:CertFile={certificate.Certificate}",
            $"--Strongroom:Tls:KeyFile={certificate.Key}",
            $"--Strongroom:Listeners:Public=127.0.0.1:{publicPort}",
            $"--Strongroom:Listeners:Admin=127.0.0.1:{adminPort}",
            $"--Strongroom:Audit:Path={Path.Combine(data, "audit.log")}",
            $"--Storage:SqlitePath={Path.Combine(data, "storage.db")}",
            "--Storage:ReadOnlyListener=",
            // No signer runs here: checkpoints are skipped (logged), results do not need them.
            $"--Storage:Signer:Address=https://127.0.0.1:{Ports.Free()}",
        })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private CallInvoker Invoker(WorkloadIdentity identity, int port)
    {
        var certificate = _pki.Issue(identity);
        return MtlsChannelFactory.Create(
            new DownstreamOptions { Address = $"https://127.0.0.1:{port}", Identity = "storage", Deadline = TimeSpan.FromSeconds(30) },
            new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.FromSeconds(1)),
            new PeerCertificateValidator(new TrustAnchor(_pki.CaFile, TimeSpan.FromSeconds(1)), EmptyDenyList.Instance));
    }

    private async Task WaitHealthyAsync(int port)
    {
        var health = new Health.HealthClient(Invoker(WorkloadIdentity.Operator("admin"), port));
        for (var i = 0; i < 150; i++)
        {
            try
            {
                await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Fail("storage did not become healthy");
    }

    [Fact]
    public async Task An_acknowledged_result_survives_kill_minus_nine_and_still_verifies()
    {
        Assert.True(File.Exists(Dll), "build services/storage first: " + Dll);
        var (publicPort, adminPort) = (Ports.Free(), Ports.Free());
        _process = Start(publicPort, adminPort);
        await WaitHealthyAsync(publicPort);

        using var key = Ed25519KeyPair.Generate();
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        await new V1.Storage.StorageClient(Invoker(WorkloadIdentity.Signer, publicPort)).PublishKeyAsync(new PublishKeyRequest
        {
            Kid = jwk.Thumbprint(), JwkJson = jwk.ToJson(), OwnerIdentity = "signer", Kind = KeyKind.ResultSigning, KeyName = "results", Version = 1,
        });
        var job = "job-kill-" + Guid.NewGuid().ToString("N");
        var jws = Support.StorageStack.SignResult(key, job);
        var ack = await new V1.Storage.StorageClient(Invoker(WorkloadIdentity.Runner, publicPort)).PutResultAsync(new PutResultRequest
        {
            JobId = job, OwnerIdentity = "spiffe://strongroom/client/alice", SignedResult = jws, Output = ByteString.CopyFromUtf8("survives"),
        });
        Assert.True(ack.Created);

        // SIGKILL at once: no shutdown hook, no flush beyond what the acknowledgement already implied.
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();

        _process = Start(publicPort, adminPort);
        await WaitHealthyAsync(publicPort);
        var stored = (await new V1.Storage.StorageClient(Invoker(WorkloadIdentity.Client("alice"), publicPort)).GetResultAsync(new GetResultRequest { JobId = job })).Result;
        Assert.Equal("survives", stored.Output.ToStringUtf8());
        Assert.True(Jws.VerifyCompact(stored.SignedResult, key.PublicKey).IsValid);
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _pki.Dispose();
    }
}
