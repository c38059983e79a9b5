using System.Text;

namespace Strongroom.Sandbox.Tests;

/// <summary>Looks at the host's /proc, where processes in the sandbox's namespaces are visible too.</summary>
internal static class HostProcesses
{
    /// <summary>PIDs of every host process whose command line contains <paramref name="marker"/>.</summary>
    public static List<int> WithMarker(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline")));
                if (cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // Exited while scanning.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read; a sandboxed job never is.
            }
        }

        return found;
    }

    /// <summary>Waits up to <paramref name="within"/> for no process to carry the marker; returns those left.</summary>
    public static async Task<List<int>> GoneAsync(string marker, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var left = WithMarker(marker);
            if (left.Count == 0 || DateTime.UtcNow > deadline)
            {
                return left;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
