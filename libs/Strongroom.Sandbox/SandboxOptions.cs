namespace Strongroom.Sandbox;

/// <summary>Where the sandbox finds bubblewrap and keeps the per-run directories.</summary>
public sealed class SandboxOptions
{
    /// <summary>The bubblewrap binary (Debian: package <c>bubblewrap</c>).</summary>
    public string BubblewrapPath { get; init; } = "/usr/bin/bwrap";

    /// <summary>
    /// Absolute directory under which each run gets a fresh 0700 directory (deleted afterwards).
    /// Never mounted into a job as a whole, so one run cannot see another's files.
    /// </summary>
    public required string WorkRoot { get; init; }

    /// <summary>Stderr kept per run; the rest is read and discarded (it is diagnostics, not the result).</summary>
    public long StderrCapBytes { get; init; } = 64 * 1024;
}
