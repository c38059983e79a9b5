using Strongroom.Cli;
using Strongroom.Cli.Commands;
using Strongroom.Cli.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Cli.Tests;

/// <summary>The README's run command, as real processes on 127.0.0.1.</summary>
[Collection(StackCollection.Name)]
public sealed class DevStackTests : IDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), "strongroom-dev-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_state))
        {
            Directory.Delete(_state, recursive: true);
        }
    }

    private async Task<(int Exit, string Text)> UpOnceAsync(int offset)
    {
        var output = new StringWriter();
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = RepoPaths.Root;
        try
        {
            var exit = await DevCommands.UpAsync(_state, once: true, output, TestContext.Current.CancellationToken, offset);
            return (exit, output.ToString());
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Fact]
    public async Task Dev_up_once_runs_the_main_job_end_to_end_in_both_formats_with_verified_opened_results_and_stops_every_service()
    {
        Requirements.Require(File.Exists("/usr/bin/bwrap"), "bubblewrap is not installed (apt-get install bubblewrap)");
        var (exit, text) = await UpOnceAsync(Ports.FreeDevStackOffset());

        Assert.True(exit == ExitCodes.Ok, text);
        foreach (var service in new[] { "kms", "storage", "signer", "keyservice", "runner", "edge" })
        {
            Assert.Contains($"{service} is healthy", text);
            Assert.Contains($"stopped {service}", text);
        }

        Assert.Contains("created X25519 key 'requests'", text);
        Assert.Contains("created RSA-4096 key 'studioml'", text);
        Assert.Contains("registered client/demo at storage", text);
        Assert.True(File.Exists(Path.Combine(_state, "pki", "log-verifier.key")));
        Assert.StartsWith("strongroom/keylog/dev+", File.ReadAllText(Path.Combine(_state, "pki", "log-verifier.key")));

        // Each format: submitted, watched to SUCCEEDED, fetched, verified against the pinned log, opened.
        foreach (var tag in new[] { "[strongroom]", "[studioml]" })
        {
            Assert.Contains($"{tag} submitted", text);
            Assert.Contains("SUCCEEDED (signer signed the result", text);
            Assert.Matches(System.Text.RegularExpressions.Regex.Escape(tag) + @" fetched result \S+ through the edge .* and verified it: JWS by signer key \S+ proven in the pinned key log", text);
            Assert.Contains($"{tag} opened the output sealed to", text);
        }

        // The opened outputs are exactly what the sample jobs produce for the sample inputs.
        var samples = Path.Combine(RepoPaths.Root, "examples", "jobs", "samples");
        Assert.Contains("    " + File.ReadAllText(Path.Combine(samples, "sentiment-output.json")).Trim(), text);
        Assert.Contains("    " + File.ReadAllText(Path.Combine(samples, "studioml-output-1.json")).Trim(), text);
        Assert.Contains("anchored 6 head(s) in the key log", text);
        Assert.Contains("curl --cacert", text);
        Assert.True(File.Exists(Path.Combine(_state, "pki", "ca", "ca.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_state, "clients", "demo", "signing")));
    }
}
