namespace Strongroom.Sandbox;

/// <summary>What a sandboxed run produced.</summary>
/// <param name="ExitCode">The job's exit code; 128 + signal when it was killed (timeout, cap, cancellation).</param>
/// <param name="Output">Stdout, at most the job's <see cref="JobDefinition.OutputCapBytes"/>.</param>
/// <param name="OutputTruncated">Stdout went past the cap: reading stopped there and the process tree was killed.</param>
/// <param name="TimedOut">The job ran past its timeout and its process tree was killed.</param>
/// <param name="Cancelled">The caller cancelled and the process tree was killed.</param>
/// <param name="Stderr">Stderr, at most <see cref="SandboxOptions.StderrCapBytes"/>.</param>
/// <param name="Elapsed">Wall time from start to exit.</param>
#pragma warning disable CA1819 // Plain result data handed to the caller, who owns it.
public sealed record SandboxResult(
    int ExitCode,
    byte[] Output,
    bool OutputTruncated,
    bool TimedOut,
    bool Cancelled,
    byte[] Stderr,
    TimeSpan Elapsed)
#pragma warning restore CA1819
{
    /// <summary>Exited by itself with code 0, within its timeout and output cap.</summary>
    public bool Succeeded => ExitCode == 0 && !OutputTruncated && !TimedOut && !Cancelled;

    /// <summary>Why a <see cref="Cancelled"/> run was cancelled, when the sandbox rather than an operator ended it.</summary>
    public string? CancelReason { get; init; }
}
