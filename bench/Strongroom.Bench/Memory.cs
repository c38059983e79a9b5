using System.Globalization;

namespace Strongroom.Bench;

/// <summary>Peak resident memory of the stack's processes, from /proc (Linux).</summary>
internal static class Memory
{
    /// <summary>Resets the process's peak RSS (VmHWM) to its current RSS: writes 5 to /proc/&lt;pid&gt;/clear_refs (our own child).</summary>
    public static void ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not resettable here: the figure is then the peak since start.
        }
    }

    /// <summary>VmHWM in MiB, or NaN when /proc is not readable.</summary>
    public static double PeakMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    return kb / 1024.0;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Exited.
        }

        return double.NaN;
    }
}
