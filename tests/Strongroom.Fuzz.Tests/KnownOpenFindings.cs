using Strongroom.Fuzz;

namespace Strongroom.Fuzz.Tests;

/// <summary>
/// Crashes the fuzzer found in code this suite does not own, reported and not yet fixed. Their
/// inputs are in fuzz/regressions/&lt;target&gt;/. A test that meets only these is skipped with the reason
/// (and under CI=true scripts/test.sh counts a skip as a problem, so they stay visible); any other
/// crash fails. When a fix lands, delete the entry: the regressions then must replay clean.
/// </summary>
internal static class KnownOpenFindings
{
    private sealed record Finding(string Target, Type Exception, string Frame, string Reason);

    // All findings of the first fuzzing pass are fixed (lone-surrogate JSON escapes, BouncyCastle
    // exceptions under LegacyPem) or handled where the service meets them (Google.Protobuf's
    // truncated-field exception, see Targets.FromWire). New ones go here until fixed.
    private static readonly Finding[] Open = [];

    /// <summary>The reason when <paramref name="outcome"/> is a known, reported, unfixed crash; null otherwise.</summary>
    public static string? Match(FuzzOutcome outcome)
    {
        if (!outcome.IsCrash)
        {
            return null;
        }

        string trace = outcome.Crash!.ToString();
        return Open.FirstOrDefault(f => f.Target == outcome.Target && f.Exception == outcome.Crash.GetType() && trace.Contains(f.Frame, StringComparison.Ordinal))?.Reason;
    }
}
