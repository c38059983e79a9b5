using Strongroom.Cli;
using Strongroom.Cli.Commands;
using Strongroom.Cli.Dev;
using Strongroom.Stack;
using Strongroom.Testing;

namespace Strongroom.Cli.Tests;

/// <summary>README command 1 on a fresh machine: what 'dev up' does when bubblewrap or python3 is missing.</summary>
public sealed class HostPrerequisitesTests
{
    private sealed class FakeHost
    {
        public HashSet<string> Files { get; } = [HostPrerequisites.AptGet];
        public List<string> Commands { get; } = [];
        public int AptExit { get; set; }

        public HostPrerequisites Prerequisites(bool root) => new(Files.Contains, root);

        public Task<int> Run(string file, IReadOnlyList<string> args, CancellationToken cancellationToken)
        {
            Commands.Add(file + " " + string.Join(' ', args));
            if (AptExit == 0 && args[0] == "install")
            {
                Files.Add("/usr/bin/bwrap");
                Files.Add("/usr/bin/python3");
            }

            return Task.FromResult(AptExit);
        }
    }

    [Fact]
    public async Task As_root_with_apt_the_missing_packages_are_installed_in_one_announced_step()
    {
        var host = new FakeHost();
        host.Files.Add("/usr/bin/python3");
        var output = new StringWriter();

        Assert.True(await host.Prerequisites(root: true).EnsureAsync(output, host.Run, TestContext.Current.CancellationToken));

        Assert.Equal(["/usr/bin/apt-get update -qq", "/usr/bin/apt-get install -y -qq --no-install-recommends bubblewrap"], host.Commands);
        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("bubblewrap is missing (/usr/bin/bwrap", line);
        Assert.Contains("installing it as root (apt-get install -y bubblewrap)", line);
    }

    [Fact]
    public async Task Without_root_nothing_is_run_and_the_exact_sudo_command_is_printed()
    {
        var host = new FakeHost();
        var output = new StringWriter();

        Assert.False(await host.Prerequisites(root: false).EnsureAsync(output, host.Run, TestContext.Current.CancellationToken));

        Assert.Empty(host.Commands);
        Assert.Contains("run again: sudo apt-get update && sudo apt-get install -y bubblewrap python3", output.ToString());
    }

    [Fact]
    public async Task As_root_without_apt_get_nothing_is_run_and_the_command_is_printed()
    {
        var host = new FakeHost();
        host.Files.Remove(HostPrerequisites.AptGet);
        var output = new StringWriter();

        Assert.False(await host.Prerequisites(root: true).EnsureAsync(output, host.Run, TestContext.Current.CancellationToken));

        Assert.Empty(host.Commands);
        Assert.Contains("run again: apt-get update && apt-get install -y bubblewrap python3", output.ToString());
    }

    [Fact]
    public async Task A_failed_apt_get_stops_with_the_command_to_run_by_hand()
    {
        var host = new FakeHost { AptExit = 100 };
        var output = new StringWriter();

        Assert.False(await host.Prerequisites(root: true).EnsureAsync(output, host.Run, TestContext.Current.CancellationToken));

        Assert.Equal(["/usr/bin/apt-get update -qq"], host.Commands);
        Assert.Contains("apt-get failed; install it yourself and run again: apt-get update && apt-get install -y bubblewrap python3", output.ToString());
    }

    [Fact]
    public async Task A_host_with_everything_runs_nothing_and_says_nothing()
    {
        var host = new FakeHost();
        host.Files.UnionWith(["/usr/bin/bwrap", "/usr/bin/python3"]);
        var output = new StringWriter();

        Assert.True(await host.Prerequisites(root: true).EnsureAsync(output, host.Run, TestContext.Current.CancellationToken));

        Assert.Empty(host.Commands);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public async Task Dev_up_refuses_before_building_anything_when_it_may_not_install()
    {
        var host = new FakeHost();
        var output = new StringWriter();
        var state = Path.Combine(Path.GetTempPath(), "strongroom-dev-prereq-" + Guid.NewGuid().ToString("N"));
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = RepoPaths.Root;
        try
        {
            var exit = await DevCommands.UpAsync(state, once: true, output, TestContext.Current.CancellationToken, host: host.Prerequisites(root: false));

            Assert.Equal(ExitCodes.NotReady, exit);
            Assert.Contains("sudo apt-get install -y bubblewrap python3", output.ToString());
            Assert.DoesNotContain("build", output.ToString());
            Assert.False(Directory.Exists(state), "nothing is created before the prerequisites are met");
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
