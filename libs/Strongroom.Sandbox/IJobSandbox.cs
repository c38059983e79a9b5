namespace Strongroom.Sandbox;

/// <summary>
/// Where the runner executes an opened job. <see cref="BubblewrapSandbox"/> is the only one the
/// runner ships with; the seam exists so a host composing the runner in code can measure the
/// path up to execution without running anything.
/// </summary>
public interface IJobSandbox
{
    /// <summary>Runs <paramref name="job"/> on <paramref name="input"/> (the caller zeroes it afterwards).</summary>
    Task<SandboxResult> RunAsync(JobDefinition job, string jobId, ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default);
}
