namespace Strongroom.Cli;

/// <summary>Exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <summary>Something is missing or unreachable (stack down, no certificate, no keys yet).</summary>
    public const int NotReady = 3;

    /// <summary>A result, key or key log did not verify: do not believe it.</summary>
    public const int Unverified = 4;

    /// <summary>The job ended without succeeding (failed, rejected, cancelled).</summary>
    public const int JobFailed = 5;
}
