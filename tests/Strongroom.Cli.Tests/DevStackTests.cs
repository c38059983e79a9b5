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
    public async Task Dev_up_once_starts_every_service_healthy_over_mtls_and_stops_it()
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
        Assert.Contains("kms is healthy", text);
        Assert.Contains("stopped kms", text);
        Assert.True(File.Exists(Path.Combine(_state, "pki", "ca", "ca.key")));
    }
}
