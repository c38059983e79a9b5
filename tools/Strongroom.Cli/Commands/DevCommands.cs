using System.CommandLine;
using Strongroom.Cli.Dev;
using Strongroom.Stack;

namespace Strongroom.Cli.Commands;

/// <summary><c>strongroom dev …</c>: the local stack on 127.0.0.1, for development and demos.</summary>
public static class DevCommands
{
    public static Command Build()
    {
        var state = new Option<string?>("--state") { Description = "State folder (default: .dev in the repository)" };
        var once = new Option<bool>("--once") { Description = "Start, check, stop and exit (for CI); default: keep running until Ctrl-C" };
        var portOffset = new Option<int>("--port-offset") { Description = "Added to every dev port (74xx), to run a second stack beside the first" };

        var up = new Command("up", "Build, generate the dev PKI, start the stack on 127.0.0.1, health-check every service and run the main job end to end as client/demo.") { state, once, portOffset };
        up.SetAction((r, ct) => UpAsync(r.GetValue(state), r.GetValue(once), Console.Out, ct, r.GetValue(portOffset)));

        var reset = new Command("reset", "Delete all local dev state (PKI, secrets, stores, logs).") { state };
        reset.SetAction(r => Reset(r.GetValue(state), Console.Out));

        return new Command("dev", "The local stack on 127.0.0.1.") { up, reset };
    }

    public static DevLayout Layout(string? state, int portOffset = 0)
    {
        var repo = DevLayout.FindRepoRoot(Environment.CurrentDirectory);
        return new DevLayout(repo, state ?? Path.Combine(repo, ".dev"), portOffset);
    }

    public static async Task<int> UpAsync(string? state, bool once, TextWriter output, CancellationToken cancellationToken, int portOffset = 0, HostPrerequisites? host = null)
    {
        var layout = Layout(state, portOffset);
        // Before building anything: without bubblewrap and python3 the main job cannot run. As root
        // with apt-get (a fresh machine, CI) they are installed here; otherwise the exact command is printed.
        if (!await (host ?? HostPrerequisites.System).EnsureAsync(output, HostPrerequisites.RunQuietAsync, cancellationToken))
        {
            return ExitCodes.NotReady;
        }

        await using var stack = new DevStack(layout, output);
        if (!await stack.BuildAsync(cancellationToken))
        {
            return ExitCodes.Failed;
        }

        stack.EnsurePki();
        stack.EnsureSecrets();
        foreach (var spec in ServiceSpec.All)
        {
            stack.Start(spec);
            if (!await stack.WaitHealthyAsync(spec, TimeSpan.FromSeconds(60), cancellationToken))
            {
                return ExitCodes.NotReady;
            }
        }

        try
        {
            await DevDemo.RunAsync(layout, output, cancellationToken);
        }
        catch (Grpc.Core.RpcException ex)
        {
            output.WriteLine($"  demo step failed: {ex.StatusCode}: {ex.Status.Detail}; see {layout.Logs}");
            return ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is Experimenter.ClientProblemException or Strongroom.Client.StrongroomClientException)
        {
            output.WriteLine($"  demo step failed: {ex.Message}; see {layout.Logs}");
            return ExitCodes.Failed;
        }

        if (once)
        {
            output.WriteLine("==> stack is up and healthy; stopping (--once)");
            return ExitCodes.Ok;
        }

        output.WriteLine("==> stack is up; press Ctrl-C to stop");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("==> stopping");
        }

        return ExitCodes.Ok;
    }

    public static int Reset(string? state, TextWriter output)
    {
        var layout = Layout(state);
        if (Directory.Exists(layout.StateRoot))
        {
            Directory.Delete(layout.StateRoot, recursive: true);
            output.WriteLine($"deleted {layout.StateRoot}");
        }
        else
        {
            output.WriteLine($"nothing to delete at {layout.StateRoot}");
        }

        return ExitCodes.Ok;
    }
}
