using Strongroom.Cli;
using Strongroom.Cli.Commands;
using Strongroom.Testing;

namespace Strongroom.Cli.Tests;

/// <summary>The README's run command, as real processes on 127.0.0.1.</summary>
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

    [Fact]
    public async Task Dev_up_once_starts_the_stack_creates_a_key_and_signs_stores_and_verifies_a_result_through_the_edge()
    {
        var output = new StringWriter();
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = RepoPaths.Root;
        int exit;
        try
        {
            exit = await DevCommands.UpAsync(_state, once: true, output, TestContext.Current.CancellationToken);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }

        var text = output.ToString();
        Assert.True(exit == ExitCodes.Ok, text);
        foreach (var service in new[] { "kms", "storage", "signer", "keyservice", "edge" })
        {
            Assert.Contains($"{service} is healthy", text);
            Assert.Contains($"stopped {service}", text);
        }

        Assert.Contains("client/demo fetched the public key through the edge", text);
        Assert.Contains("\"crv\":\"X25519\"", text);
        Assert.Contains("\"typ\":\"strongroom-result\",\"runner\":\"spiffe://strongroom/runner\"", text);
        Assert.Contains("verified its JWS against the JWKS (1 key(s)): Valid", text);
        Assert.Contains("anchored 5 head(s) in the key log", text);
        Assert.True(File.Exists(Path.Combine(_state, "pki", "ca", "ca.key")));
    }
}
