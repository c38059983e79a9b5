using System.Diagnostics;

namespace Strongroom.Cli.Dev;

/// <summary>A program the dev stack needs from the host, and the Debian/Ubuntu package that brings it.</summary>
public sealed record HostProgram(string Name, string Path, string Package, string Why);

/// <summary>What this host lacks, and what <c>dev up</c> does about it before it builds anything.</summary>
public sealed record PrerequisitePlan(IReadOnlyList<HostProgram> Missing, bool CanInstall)
{
    public bool Satisfied => Missing.Count == 0;

    public string Packages => string.Join(' ', Missing.Select(p => p.Package).Distinct());

    /// <summary>The exact command a user runs to install what is missing (with sudo unless already root).</summary>
    public string InstallCommand(bool root) => root
        ? $"apt-get update && apt-get install -y {Packages}"
        : $"sudo apt-get update && sudo apt-get install -y {Packages}";
}

/// <summary>
/// The host programs the main job needs: bubblewrap (the runner refuses to run jobs unsandboxed) and
/// Debian's /usr/bin/python3 (the sample jobs run with it inside the sandbox, which mounts only /usr).
/// The dev PKI, keys and envelopes are made in .NET, so openssl is not needed to run the stack.
/// As root with apt-get, <c>dev up</c> installs what is missing; otherwise it stops before building
/// with the exact command, and <c>strongroom doctor</c> says the same.
/// </summary>
public sealed class HostPrerequisites(Func<string, bool> fileExists, bool isRoot)
{
    public const string AptGet = "/usr/bin/apt-get";

    public static readonly IReadOnlyList<HostProgram> Programs =
    [
        new("bubblewrap", "/usr/bin/bwrap", "bubblewrap", "the runner sandboxes every job with it"),
        new("python3", "/usr/bin/python3", "python3", "the sample jobs run with it inside the sandbox"),
    ];

    public static HostPrerequisites System { get; } = new(File.Exists, Environment.IsPrivilegedProcess);

    public bool IsRoot => isRoot;

    public PrerequisitePlan Plan(IReadOnlyList<HostProgram>? programs = null)
    {
        var missing = (programs ?? Programs).Where(p => !fileExists(p.Path)).ToList();
        return new PrerequisitePlan(missing, isRoot && fileExists(AptGet));
    }

    public static string Describe(IEnumerable<HostProgram> missing) =>
        string.Join("; ", missing.Select(p => $"{p.Name} is missing ({p.Path}: {p.Why})"));

    /// <summary>
    /// Installs what is missing when it may (root, apt-get present), saying so in one line; otherwise
    /// prints the exact command and returns false. <paramref name="run"/> runs a command and returns its exit code.
    /// </summary>
    public async Task<bool> EnsureAsync(TextWriter output, Func<string, IReadOnlyList<string>, CancellationToken, Task<int>> run, CancellationToken cancellationToken)
    {
        var plan = Plan();
        if (plan.Satisfied)
        {
            return true;
        }

        if (!plan.CanInstall)
        {
            output.WriteLine($"==> {Describe(plan.Missing)}. Install it and run again: {plan.InstallCommand(isRoot)}");
            return false;
        }

        output.WriteLine($"==> {Describe(plan.Missing)}: installing it as root (apt-get install -y {plan.Packages})");
        if (await run(AptGet, ["update", "-qq"], cancellationToken) != 0
            || await run(AptGet, ["install", "-y", "-qq", "--no-install-recommends", .. plan.Missing.Select(p => p.Package).Distinct()], cancellationToken) != 0)
        {
            output.WriteLine($"  apt-get failed; install it yourself and run again: {plan.InstallCommand(root: true)}");
            return false;
        }

        var still = Plan();
        if (!still.Satisfied)
        {
            output.WriteLine($"  still missing after apt-get: {Describe(still.Missing)}; install it yourself and run again: {still.InstallCommand(root: true)}");
            return false;
        }

        return true;
    }

    /// <summary>Runs apt-get without prompts, its output kept off the console (failures are reported by exit code).</summary>
    public static async Task<int> RunQuietAsync(string file, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var error = await stderr;
        await stdout;
        if (process.ExitCode != 0 && error.Length > 0)
        {
            // apt's own message (lock held, package unknown) is what the user needs; it holds no secret.
            await Console.Error.WriteLineAsync(error.TrimEnd());
        }

        return process.ExitCode;
    }
}
