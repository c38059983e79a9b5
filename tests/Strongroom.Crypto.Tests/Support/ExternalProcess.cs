using System.Diagnostics;
using System.Text.Json.Nodes;
using Strongroom.Testing;

namespace Strongroom.Crypto.Tests.Support;

/// <summary>Runs an independent tool (node scripts, openssl) and returns its stdout.</summary>
internal static class ExternalProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static (int ExitCode, string Stdout, string Stderr) Run(string fileName, IEnumerable<string> arguments, string? stdin = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + fileName);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail(fileName + " did not finish within " + Timeout);
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public static bool IsOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}

/// <summary>The node scripts in tests/node, run against the pinned npm packages there.</summary>
internal static class NodeScript
{
    public static void RequirePackages(params string[] packages)
    {
        Requirements.Require(ExternalProcess.IsOnPath("node"), "node is not installed");
        foreach (string package in packages)
        {
            Requirements.RequireNodePackage(package);
        }
    }

    /// <summary>Runs <c>node tests/node/script command</c> with JSON on stdin; fails the test unless it exits 0.</summary>
    public static JsonNode Run(string script, string command, JsonNode? input = null)
    {
        (int exitCode, string stdout, string stderr) = TryRun(script, command, input);
        Assert.True(exitCode == 0, $"node {script} {command} failed: {stdout} {stderr}");
        return JsonNode.Parse(stdout)!;
    }

    public static (int ExitCode, string Stdout, string Stderr) TryRun(string script, string command, JsonNode? input = null) =>
        ExternalProcess.Run("node", [Path.Combine(RepoPaths.Root, "tests", "node", script), command], input?.ToJsonString());
}
