using Strongroom.Cli.Dev;
using Strongroom.Cli.Experimenter;
using Strongroom.Client;
using Strongroom.Stack;
using Strongroom.Testing;

namespace Strongroom.Cli.Tests.Support;

/// <summary>
/// One whole stack as real processes on shifted ports, prepared exactly as `dev up` prepares it
/// (the operator's keys, the log verifier key, client/demo registered and its demo jobs run), for
/// the experimenter commands to be run against.
/// </summary>
public sealed class CliStack : IAsyncLifetime
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), "strongroom-cli-stack-" + Guid.NewGuid().ToString("N"));
    private readonly StringWriter _demoLog = new();

    public CliStack()
    {
        Layout = new DevLayout(RepoPaths.Root, _state, Ports.FreeDevStackOffset());
        Core = new ProvisionedStack(Layout);
    }

    public DevLayout Layout { get; }

    /// <summary>The shared stack builder (the services are started as for every whole-stack test; the demo prepares the rest as dev up does).</summary>
    public ProvisionedStack Core { get; }

    public DevStack Stack => Core.Stack;

    public string Log => Core.Log + _demoLog;

    public bool Ready { get; private set; }

    public string StorageAddress => ServiceSpec.Storage.PublicAddress(Layout);

    public ClientFolder Paths(string identity) => new(Layout.StateRoot, identity);

    public string Sample(string name) => Path.Combine(RepoPaths.Root, "examples", "jobs", "samples", name);

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists("/usr/bin/bwrap"))
        {
            // Each test says why it is skipped (Requirements); nothing to start.
            return;
        }

        var ct = TestContext.Current.CancellationToken;
        await Core.StartAsync([], TimeSpan.FromSeconds(90), ct);
        await DevDemo.RunAsync(Layout, _demoLog, ct);
        Ready = true;
    }

    public void RequireReady()
    {
        Requirements.Require(File.Exists("/usr/bin/bwrap"), "bubblewrap is not installed (apt-get install bubblewrap)");
        Assert.True(Ready, Log);
    }

    public async ValueTask DisposeAsync() => await Core.DisposeAsync();
}
