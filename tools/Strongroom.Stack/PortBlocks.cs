using System.Net;
using System.Net.Sockets;

namespace Strongroom.Stack;

/// <summary>
/// Free loopback ports for stacks and servers under test or bench: whole 100-port blocks claimed
/// across processes, so parallel test assemblies and the bench never pick the same port.
/// </summary>
public static class PortBlocks
{
    // Below Linux's ephemeral range (32768-60999): outgoing client connections, of which the
    // tests make many, never take these, so a port found free stays free until Kestrel binds it.
    private const int First = 20000;
    private const int Last = 32000;
    private const int BlockSize = 100;

    private static readonly HashSet<int> HandedOut = [];

    // Test assemblies run as parallel processes: each claims whole 100-port blocks through an
    // exclusive lock file (held until the process exits, even when killed), so two processes never
    // hand out the same port between "found free" and "bound". Without a claimable block the
    // in-process check alone applies, as before.
    private static readonly List<FileStream> Claims = [];
    private static readonly string ClaimFolder = Path.Combine(Path.GetTempPath(), "strongroom-test-ports");
    private static int _singleBlock = -1;
    private static int _nextInBlock;

    /// <summary>A currently free TCP port on 127.0.0.1 (services under test bind to loopback only).</summary>
    public static int Free()
    {
        lock (HandedOut)
        {
            for (var blocks = 0; blocks < 4; blocks++)
            {
                if (_singleBlock < 0 || _nextInBlock >= BlockSize)
                {
                    _singleBlock = ClaimBlock();
                    _nextInBlock = 0;
                    if (_singleBlock < 0)
                    {
                        break;
                    }
                }

                while (_nextInBlock < BlockSize)
                {
                    var port = _singleBlock + _nextInBlock++;
                    if (HandedOut.Add(port) && IsFree(port))
                    {
                        return port;
                    }
                }
            }
        }

        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(First, Last);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
                {
                    continue;
                }
            }

            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port between {First} and {Last}");
    }

    /// <summary>
    /// An offset for a whole dev stack (DevLayout's port offset) such that every shifted dev port
    /// (7401–7405, 7411–7415, 7424, 7443, 7453) is free and below the ephemeral range, so a test stack
    /// never collides with a developer's stack on 74xx or with another test's ports.
    /// </summary>
    /// <param name="extraDevPorts">Further 74xx ports the caller shifts the same way (the bench's baseline server).</param>
    public static int FreeDevStackOffset(params int[] extraDevPorts)
    {
        int[] devPorts = [7401, 7402, 7403, 7404, 7405, 7411, 7412, 7413, 7414, 7415, 7424, 7443, 7453, .. extraDevPorts];
        lock (HandedOut)
        {
            // A block of its own: the shifted ports (start + 1 … start + 53) all fall inside it.
            for (var attempt = 0; attempt < 8; attempt++)
            {
                var block = ClaimBlock();
                if (block < 0)
                {
                    break;
                }

                var offset = block - 7400;
                var ports = devPorts.Select(p => p + offset).ToArray();
                if (ports.All(p => !HandedOut.Contains(p) && IsFree(p)))
                {
                    HandedOut.UnionWith(ports);
                    return offset;
                }
            }
        }

        for (var attempt = 0; attempt < 200; attempt++)
        {
            var offset = Random.Shared.Next(First, Last - 100) - 7400;
            var ports = devPorts.Select(p => p + offset).ToArray();
            lock (HandedOut)
            {
                if (ports.Any(HandedOut.Contains))
                {
                    continue;
                }
            }

            if (ports.All(IsFree))
            {
                lock (HandedOut)
                {
                    HandedOut.UnionWith(ports);
                }

                return offset;
            }
        }

        throw new InvalidOperationException($"no free block of dev-stack ports between {First} and {Last}");
    }

    /// <summary>The first port of a block no other process holds, now held by this one; -1 when none could be claimed.</summary>
    private static int ClaimBlock()
    {
        try
        {
            Directory.CreateDirectory(ClaimFolder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }

        var count = (Last - First) / BlockSize;
        var start = Random.Shared.Next(count);
        for (var i = 0; i < count; i++)
        {
            var block = First + ((start + i) % count * BlockSize);
            if (Claims.Any(c => c.Name.EndsWith($"block-{block}.lock", StringComparison.Ordinal)))
            {
                continue;
            }

            try
            {
                Claims.Add(new FileStream(Path.Combine(ClaimFolder, $"block-{block}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
                return block;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Held by another test process.
            }
        }

        return -1;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
