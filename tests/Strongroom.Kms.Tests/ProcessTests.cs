using System.Diagnostics;
using System.Text;
using Strongroom.Kms.Storage;
using Strongroom.Kms.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Kms.Tests;

/// <summary>The real binary, as an operator runs it: refusals are one clear line and a non-zero exit, never a stack trace.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly Scratch _scratch = new();

    public void Dispose()
    {
        _pki.Dispose();
        _scratch.Dispose();
    }

    [Fact]
    public async Task The_kms_process_exits_non_zero_with_one_clear_line_on_a_wrong_passphrase()
    {
        var store = _scratch.PathOf("kms.store");
        StoreMaintenance.Initialize(store, _scratch.Passphrase("right", Scratch.NewPassphrase()));
        var wrongPassphrase = Scratch.NewPassphrase();
        var wrong = _scratch.Passphrase("wrong", wrongPassphrase);

        var (exit, stdout, stderr) = await RunServiceAsync(store, wrong);

        Assert.NotEqual(0, exit);
        Assert.Contains("kms: refusing to start: wrong passphrase or corrupted kms store", stderr);
        AssertNoStackTrace(stdout + stderr);
        Assert.DoesNotContain(wrongPassphrase, stdout + stderr);
    }

    [Fact]
    public async Task The_kms_process_exits_non_zero_on_a_weakened_header()
    {
        var store = _scratch.PathOf("kms.store");
        var passphrase = _scratch.Passphrase("p", Scratch.NewPassphrase());
        StoreMaintenance.Initialize(store, passphrase);
        var file = File.ReadAllBytes(store);
        file[SealedFileFormat.IterationsOffset + 3] = 2;
        File.WriteAllBytes(store, file);

        var (exit, stdout, stderr) = await RunServiceAsync(store, passphrase);

        Assert.NotEqual(0, exit);
        Assert.Contains("iterations 2 is below the minimum 3", stderr);
        AssertNoStackTrace(stdout + stderr);
    }

    [Fact]
    public async Task Operator_commands_run_from_the_kms_binary()
    {
        var store = _scratch.PathOf("kms.store");
        var passphrase = _scratch.Passphrase("p", Scratch.NewPassphrase());
        var next = _scratch.Passphrase("n", Scratch.NewPassphrase());

        var init = await RunAsync("init", "--store", store, "--passphrase-file", passphrase);
        var reseal = await RunAsync("reseal", "--store", store, "--passphrase-file", passphrase, "--new-passphrase-file", next);
        var inspectOld = await RunAsync("inspect", "--store", store, "--passphrase-file", passphrase);
        var usage = await RunAsync("backup", "--store", store);

        Assert.Equal(0, init.Exit);
        Assert.Equal(0, reseal.Exit);
        Assert.Contains("re-sealed under the new passphrase", reseal.Stdout);
        Assert.Equal(1, inspectOld.Exit);
        Assert.Contains("wrong passphrase", inspectOld.Stderr);
        AssertNoStackTrace(inspectOld.Stderr);
        Assert.Equal(2, usage.Exit);
        Assert.Contains("missing --passphrase-file, --out, --backup-passphrase-file", usage.Stderr);
    }

    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Exception", output);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunServiceAsync(string store, string passphraseFile)
    {
        var certificate = _pki.Issue(WorkloadIdentity.Kms);
        return await RunAsync(
            "--contentRoot", AppContext.BaseDirectory,
            "--Strongroom:Tls:CaFile=" + _pki.CaFile,
            "--Strongroom:Tls:CertFile=" + certificate.Certificate,
            "--Strongroom:Tls:KeyFile=" + certificate.Key,
            $"--Strongroom:Listeners:Public=127.0.0.1:{Ports.Free()}",
            $"--Strongroom:Listeners:Admin=127.0.0.1:{Ports.Free()}",
            "--Strongroom:Audit:Path=" + _scratch.PathOf("audit.log"),
            "--Kms:StorePath=" + store,
            "--Kms:PassphraseFile=" + passphraseFile);
    }

    /// <summary>Runs <c>dotnet Strongroom.Kms.dll ARGS</c> (the copy built beside the tests) and waits for it to exit.</summary>
    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _scratch.Root,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Strongroom.Kms.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
