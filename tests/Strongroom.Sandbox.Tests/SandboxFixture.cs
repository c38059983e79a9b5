using System.Text;
using Strongroom.Testing;

namespace Strongroom.Sandbox.Tests;

/// <summary>A sandbox over a private temporary work root, and helpers to run shell jobs in it.</summary>
public sealed class SandboxFixture : IDisposable
{
    public const string Bwrap = "/usr/bin/bwrap";

    public SandboxFixture()
    {
        WorkRoot = Path.Combine(Path.GetTempPath(), "strongroom-sandbox-" + Guid.NewGuid().ToString("N"));
        Sandbox = new BubblewrapSandbox(new SandboxOptions { WorkRoot = WorkRoot });
    }

    public string WorkRoot { get; }

    public BubblewrapSandbox Sandbox { get; }

    /// <summary>Skips locally, fails under CI=true, when bubblewrap is missing or cannot build a sandbox.</summary>
    public static void RequireBubblewrap()
    {
        var available = BubblewrapSandbox.IsAvailable(Bwrap, out var reason);
        Requirements.Require(available, reason);
    }

    public static JobDefinition Shell(string script, TimeSpan? timeout = null, long cap = 1 << 20, JobInput input = JobInput.Stdin,
        IReadOnlyDictionary<string, string>? binds = null, IReadOnlyDictionary<string, string>? environment = null) =>
        new()
        {
            Name = "shell",
            Command = "/bin/sh",
            Arguments = input == JobInput.File ? ["-c", script, "sh", "{input}"] : ["-c", script],
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
            OutputCapBytes = cap,
            Input = input,
            ReadOnlyBinds = binds ?? new Dictionary<string, string>(),
            Environment = environment ?? new Dictionary<string, string>(),
        };

    /// <summary>Runs a shell script in the sandbox and returns its stdout, asserting it succeeded.</summary>
    public async Task<string> RunShellAsync(string script, JobDefinition? job = null)
    {
        var result = await Sandbox.RunAsync(job ?? Shell(script), "test", ReadOnlyMemory<byte>.Empty, TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded, $"exit {result.ExitCode}: {Encoding.UTF8.GetString(result.Stderr)}");
        return Encoding.UTF8.GetString(result.Output);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkRoot, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created: every test in the class skipped.
        }
    }
}
