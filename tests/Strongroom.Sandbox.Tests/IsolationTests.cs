using System.Text;

namespace Strongroom.Sandbox.Tests;

/// <summary>What a job can see of the host, asserted from inside the job.</summary>
public sealed class IsolationTests : IClassFixture<SandboxFixture>
{
    private readonly SandboxFixture fixture;

    public IsolationTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        SandboxFixture.RequireBubblewrap();
    }

    [Fact]
    public async Task Job_runs_in_its_own_user_pid_net_mount_ipc_and_uts_namespaces()
    {
        string[] kinds = ["user", "pid", "net", "mnt", "ipc", "uts"];
        var output = await fixture.RunShellAsync("for n in " + string.Join(' ', kinds) + "; do echo \"$n $(readlink /proc/self/ns/$n)\"; done");

        var inside = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
        foreach (var kind in kinds)
        {
            var host = new FileInfo("/proc/self/ns/" + kind).LinkTarget;
            Assert.StartsWith(kind + ":[", inside[kind], StringComparison.Ordinal);
            Assert.NotEqual(host, inside[kind]);
        }
    }

    [Fact]
    public async Task Job_runs_as_nobody_with_no_capabilities_and_cannot_create_user_namespaces()
    {
        var output = await fixture.RunShellAsync(
            "id -u; id -g; grep -E '^Cap(Eff|Prm|Bnd|Amb):' /proc/self/status; unshare -U true 2>/dev/null && echo userns-allowed || echo userns-denied; hostname");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("65534", lines[0]);
        Assert.Equal("65534", lines[1]);
        foreach (var capability in lines[2..6])
        {
            Assert.EndsWith("0000000000000000", capability, StringComparison.Ordinal);
        }

        Assert.Equal("userns-denied", lines[6]);
        Assert.Equal("sandbox", lines[7]);
    }

    [Fact]
    public async Task Only_the_loopback_interface_exists()
    {
        var output = await fixture.RunShellAsync("cat /proc/net/dev");

        var interfaces = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(l => l.Split(':')[0].Trim()).ToList();
        Assert.Equal(["lo"], interfaces);
    }

    [Fact]
    public async Task Runner_processes_are_invisible_and_unreachable()
    {
        var runner = Environment.ProcessId;
        var output = await fixture.RunShellAsync($"ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; kill -0 {runner} 2>/dev/null && echo reachable || echo unreachable");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var pids = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        // bwrap's init (1), the shell, and the pipeline's own processes: nothing from the host.
        Assert.InRange(pids.Count, 2, 6);
        Assert.All(pids, pid => Assert.InRange(pid, 1, 10));
        Assert.DoesNotContain(runner, pids);
        Assert.Equal("unreachable", lines[1]);
    }

    [Fact]
    public async Task Filesystem_holds_only_the_sandbox_mounts_and_is_read_only_outside_work_and_tmp()
    {
        var scripts = Directory.CreateTempSubdirectory("strongroom-job-scripts-");
        try
        {
            File.WriteAllText(Path.Combine(scripts.FullName, "hello.txt"), "from the operator\n");
            var job = SandboxFixture.Shell(
                "ls -A / | tr '\\n' ' '; echo; ls -A /etc | tr '\\n' ' '; echo; cat /job/hello.txt; "
                + "for p in /x /usr/x /etc/x /job/x /tmp/x /work/x; do touch $p 2>/dev/null && echo \"$p rw\" || echo \"$p ro\"; done; stat -c %a /work",
                binds: new Dictionary<string, string> { [scripts.FullName] = "/job" });

            var lines = (await fixture.RunShellAsync("", job)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.Equal("bin dev etc job lib lib64 proc sbin tmp usr work", lines[0].Trim());
            Assert.Equal("group ld.so.cache nsswitch.conf passwd", lines[1].Trim());
            Assert.Equal("from the operator", lines[2]);
            Assert.Equal(["/x ro", "/usr/x ro", "/etc/x ro", "/job/x ro", "/tmp/x rw", "/work/x rw"], lines[3..9]);
            Assert.Equal("700", lines[9]);
        }
        finally
        {
            scripts.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Runner_secrets_and_other_runs_files_cannot_be_read()
    {
        var ct = TestContext.Current.CancellationToken;
        // A runner key outside the work root, owner-only like the real ones.
        var keys = Directory.CreateTempSubdirectory("strongroom-runner-keys-");
        var secretPath = Path.Combine(keys.FullName, "secret");
        File.WriteAllText(secretPath, "runner-key-material");
        File.SetUnixFileMode(secretPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            // Another run, still going, with its own secret in its work directory.
            using var stopOther = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var other = fixture.Sandbox.RunAsync(
                SandboxFixture.Shell("echo other-run-secret > /work/secret; chmod 600 /work/secret; sleep 60"), "other", ReadOnlyMemory<byte>.Empty, stopOther.Token);
            var otherSecret = await WaitForFileAsync(fixture.WorkRoot, "secret", ct);

            var output = await fixture.RunShellAsync(
                $"cat '{secretPath}' 2>&1; cat '{otherSecret}' 2>&1; ls '{keys.FullName}' 2>&1; ls '{fixture.WorkRoot}' 2>&1; true");

            Assert.DoesNotContain("runner-key-material", output, StringComparison.Ordinal);
            Assert.DoesNotContain("other-run-secret", output, StringComparison.Ordinal);
            Assert.Equal(4, output.Split("No such file or directory").Length - 1);

            await stopOther.CancelAsync();
            var otherResult = await other;
            Assert.True(otherResult.Cancelled);
            Assert.False(File.Exists(otherSecret), "a finished run's work directory is deleted");
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Environment_holds_only_the_allowed_variables_and_nothing_of_the_runner()
    {
        Environment.SetEnvironmentVariable("STRONGROOM_SECRET", "do-not-leak-7f3a");
        Environment.SetEnvironmentVariable("STRONGROOM_TLS_KEY_PATH", "/etc/strongroom/runner/tls.key");
        var job = new JobDefinition
        {
            Name = "env",
            Command = "/usr/bin/env",
            Timeout = TimeSpan.FromSeconds(30),
            OutputCapBytes = 1 << 20,
            Environment = new Dictionary<string, string> { ["MODEL"] = "tiny" },
        };

        var env = await fixture.RunShellAsync("", job);
        // bwrap's in-sandbox init carries bwrap's own environment: that must be clean too.
        var init = await fixture.RunShellAsync("tr '\\0' '\\n' < /proc/1/environ");

        var variables = env.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        // PWD is bwrap's own, from --chdir: the sandbox path, nothing of the host.
        Assert.Equal(["HOME=/work", "LANG=C.UTF-8", "MODEL=tiny", "PATH=/usr/bin:/bin", "PWD=/work", "TMPDIR=/tmp"], variables);
        Assert.DoesNotContain("STRONGROOM", init, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-leak", init, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_run_starts_in_an_empty_work_directory_that_is_deleted_afterwards()
    {
        await fixture.RunShellAsync("echo first > /work/leftover");
        var second = await fixture.RunShellAsync("ls -A /work | wc -l");

        Assert.Equal("0", second.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(fixture.WorkRoot));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(fixture.WorkRoot));
    }

    private static async Task<string> WaitForFileAsync(string root, string name, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            if (Directory.Exists(root) && Directory.EnumerateFiles(root, name, SearchOption.AllDirectories).FirstOrDefault() is { } found)
            {
                return found;
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"no {name} appeared under {root}");
    }
}
