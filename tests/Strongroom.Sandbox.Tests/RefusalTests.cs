namespace Strongroom.Sandbox.Tests;

/// <summary>What the sandbox refuses before starting anything.</summary>
public sealed class RefusalTests
{
    private static readonly string WorkRoot = Path.Combine(Path.GetTempPath(), "strongroom-sandbox-refusals");

    [Fact]
    public async Task Refuses_to_run_without_bubblewrap_and_says_what_to_install()
    {
        var sandbox = new BubblewrapSandbox(new SandboxOptions { BubblewrapPath = "/nonexistent/bwrap", WorkRoot = WorkRoot });

        var available = BubblewrapSandbox.IsAvailable("/nonexistent/bwrap", out var reason);
        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(
            () => sandbox.RunAsync(SandboxFixture.Shell("echo unsandboxed"), "job", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));

        Assert.False(available);
        Assert.Contains("bubblewrap", reason, StringComparison.Ordinal);
        Assert.Contains("apt-get install bubblewrap", e.Message, StringComparison.Ordinal);
        Assert.Throws<SandboxUnavailableException>(sandbox.EnsureAvailable);
        Assert.False(Directory.Exists(WorkRoot), "nothing is prepared for a job that cannot be sandboxed");
    }

    [Fact]
    public void Working_bubblewrap_is_reported_available()
    {
        SandboxFixture.RequireBubblewrap();

        Assert.True(BubblewrapSandbox.IsAvailable(SandboxFixture.Bwrap, out var reason));
        Assert.Empty(reason);
    }

    [Fact]
    public void A_well_formed_definition_has_no_problems()
    {
        Assert.Empty(Valid().Problems());
    }

    [Theory]
    [InlineData("relative command")]
    [InlineData("missing command")]
    [InlineData("command outside the sandbox mounts")]
    [InlineData("zero output cap")]
    [InlineData("zero timeout")]
    [InlineData("negative timeout")]
    [InlineData("bind over /usr")]
    [InlineData("bind under /proc")]
    [InlineData("bind under /dev")]
    [InlineData("bind over /tmp")]
    [InlineData("bind over the work directory")]
    [InlineData("bind over the root")]
    [InlineData("bind to a relative path")]
    [InlineData("bind from a missing host path")]
    [InlineData("lowercase environment name")]
    [InlineData("environment name starting with a digit")]
    [InlineData("overriding PATH")]
    [InlineData("input placeholder with stdin input")]
    [InlineData("bad job name")]
    public async Task Invalid_definitions_are_refused(string flaw)
    {
        var good = Valid();
        var job = flaw switch
        {
            "relative command" => Copy(good, command: "bin/sh"),
            "missing command" => Copy(good, command: "/usr/bin/no-such-interpreter"),
            "command outside the sandbox mounts" => Copy(good, command: "/root/tool"),
            "zero output cap" => Copy(good, cap: 0),
            "zero timeout" => Copy(good, timeout: TimeSpan.Zero),
            "negative timeout" => Copy(good, timeout: TimeSpan.FromSeconds(-1)),
            "bind over /usr" => Copy(good, bindTarget: "/usr"),
            "bind under /proc" => Copy(good, bindTarget: "/proc/1"),
            "bind under /dev" => Copy(good, bindTarget: "/dev/shm"),
            "bind over /tmp" => Copy(good, bindTarget: "/tmp"),
            "bind over the work directory" => Copy(good, bindTarget: "/work/scripts"),
            "bind over the root" => Copy(good, bindTarget: "/"),
            "bind to a relative path" => Copy(good, bindTarget: "job"),
            "bind from a missing host path" => Copy(good, bindSource: "/nonexistent/scripts"),
            "lowercase environment name" => Copy(good, environmentName: "model"),
            "environment name starting with a digit" => Copy(good, environmentName: "1MODEL"),
            "overriding PATH" => Copy(good, environmentName: "PATH"),
            "input placeholder with stdin input" => Copy(good, arguments: ["{input}"]),
            "bad job name" => Copy(good, name: "no spaces please"),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };
        var sandbox = new BubblewrapSandbox(new SandboxOptions { WorkRoot = WorkRoot });

        Assert.NotEmpty(job.Problems());
        await Assert.ThrowsAsync<ArgumentException>(() => sandbox.RunAsync(job, "job", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_bind_that_would_expose_the_work_root_is_refused()
    {
        var sandbox = new BubblewrapSandbox(new SandboxOptions { WorkRoot = WorkRoot });
        var job = Copy(Valid(), bindSource: Path.GetTempPath().TrimEnd('/'));

        await Assert.ThrowsAsync<ArgumentException>(() => sandbox.RunAsync(job, "job", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken));
    }

    private static JobDefinition Valid() => new()
    {
        Name = "score-sentiment",
        Command = "/bin/sh",
        Arguments = ["-c", "true"],
        Timeout = TimeSpan.FromSeconds(5),
        OutputCapBytes = 1024,
        ReadOnlyBinds = new Dictionary<string, string> { ["/usr/share"] = "/job" },
        Environment = new Dictionary<string, string> { ["MODEL"] = "tiny" },
    };

    private static JobDefinition Copy(JobDefinition job, string? name = null, string? command = null, long? cap = null, TimeSpan? timeout = null,
        string? bindSource = null, string? bindTarget = null, string? environmentName = null, IReadOnlyList<string>? arguments = null) => new()
    {
        Name = name ?? job.Name,
        Command = command ?? job.Command,
        Arguments = arguments ?? job.Arguments,
        Timeout = timeout ?? job.Timeout,
        OutputCapBytes = cap ?? job.OutputCapBytes,
        Input = job.Input,
        ReadOnlyBinds = new Dictionary<string, string> { [bindSource ?? "/usr/share"] = bindTarget ?? "/job" },
        Environment = new Dictionary<string, string> { [environmentName ?? "MODEL"] = "tiny" },
    };
}
