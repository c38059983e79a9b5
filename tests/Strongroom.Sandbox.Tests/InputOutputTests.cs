using System.Diagnostics;
using System.Text;

namespace Strongroom.Sandbox.Tests;

/// <summary>Input delivery, output capture, limits and exit status, with real processes.</summary>
public sealed class InputOutputTests : IClassFixture<SandboxFixture>
{
    private readonly SandboxFixture fixture;

    public InputOutputTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        SandboxFixture.RequireBubblewrap();
    }

    // NUL, bytes that are not UTF-8, and more than a pipe buffer (64 KiB) of random data.
    private static byte[] AwkwardInput()
    {
        var bytes = new byte[300_000];
        new Random(42).NextBytes(bytes);
        byte[] head = [0x00, 0xff, 0xfe, (byte)'a', 0x80, 0xc3, 0x28, (byte)'\n', 0x00];
        head.CopyTo(bytes, 0);
        return bytes;
    }

    [Fact]
    public async Task Stdin_input_arrives_byte_exact()
    {
        var input = AwkwardInput();

        var result = await fixture.Sandbox.RunAsync(SandboxFixture.Shell("cat"), "stdin", input, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Equal(input, result.Output);
    }

    [Fact]
    public async Task File_input_arrives_byte_exact_owner_only_at_the_substituted_path()
    {
        var input = AwkwardInput();
        var job = SandboxFixture.Shell("echo \"$1 $(stat -c '%a %u' \"$1\") stdin=$(wc -c)\" >&2; cat \"$1\"", input: JobInput.File);

        var result = await fixture.Sandbox.RunAsync(job, "file", input, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Stderr));
        Assert.Equal(input, result.Output);
        Assert.Equal("/work/input 600 65534 stdin=0", Encoding.UTF8.GetString(result.Stderr).Trim());
    }

    [Fact]
    public async Task Exit_code_and_stderr_propagate()
    {
        var result = await fixture.Sandbox.RunAsync(SandboxFixture.Shell("echo out; echo oops >&2; exit 7"), "exit", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken);

        Assert.Equal(7, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.False(result.TimedOut || result.Cancelled || result.OutputTruncated);
        Assert.Equal("out\n", Encoding.UTF8.GetString(result.Output));
        Assert.Equal("oops\n", Encoding.UTF8.GetString(result.Stderr));
    }

    [Fact]
    public async Task Timeout_kills_the_job_and_its_background_grandchildren()
    {
        var marker = "late-" + Guid.NewGuid().ToString("N");
        var job = SandboxFixture.Shell($"sh -c 'sleep 3; touch /work/{marker}' & sleep 60", timeout: TimeSpan.FromSeconds(1));
        var stopwatch = Stopwatch.StartNew();

        var result = await fixture.Sandbox.RunAsync(job, "timeout", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken);
        stopwatch.Stop();

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        Assert.Empty(await HostProcesses.GoneAsync(marker, TimeSpan.FromSeconds(1)));
        // Past the moment the grandchild would have acted: still nothing carries the marker.
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
        Assert.Empty(HostProcesses.WithMarker(marker));
    }

    [Fact]
    public async Task Cancellation_kills_the_job_and_its_background_grandchildren()
    {
        var marker = "cancel-" + Guid.NewGuid().ToString("N");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = fixture.Sandbox.RunAsync(SandboxFixture.Shell($"sh -c 'sleep 50; echo {marker}' & sleep 60"), "cancel", ReadOnlyMemory<byte>.Empty, cts.Token);
        Assert.NotEmpty(await WaitForMarkerAsync(marker));

        var stopwatch = Stopwatch.StartNew();
        await cts.CancelAsync();
        var result = await run;

        Assert.True(result.Cancelled);
        Assert.False(result.TimedOut);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Empty(await HostProcesses.GoneAsync(marker, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("head -c 4G /dev/zero")]
    [InlineData("yes")]
    public async Task Output_past_the_cap_is_cut_at_the_cap_quickly_and_in_bounded_memory(string flood)
    {
        const int Cap = 1 << 20;
        var stopwatch = Stopwatch.StartNew();

        var result = await fixture.Sandbox.RunAsync(SandboxFixture.Shell(flood, timeout: TimeSpan.FromSeconds(60), cap: Cap), "flood", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken);

        Assert.Equal(Cap, result.Output.Length);
        Assert.True(result.OutputTruncated);
        Assert.False(result.TimedOut);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        using var self = Process.GetCurrentProcess();
        Assert.InRange(self.PeakWorkingSet64, 0, 512L << 20);
    }

    [Fact]
    public async Task Output_exactly_at_the_cap_is_complete_not_truncated()
    {
        var result = await fixture.Sandbox.RunAsync(SandboxFixture.Shell("head -c 100000 /dev/zero", cap: 100_000), "exact", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Equal(100_000, result.Output.Length);
        Assert.False(result.OutputTruncated);
    }

    private static async Task<List<int>> WaitForMarkerAsync(string marker)
    {
        for (var i = 0; i < 100; i++)
        {
            var found = HostProcesses.WithMarker(marker);
            if (found.Count > 0)
            {
                return found;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return [];
    }
}
