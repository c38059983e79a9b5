using System.Net;
using System.Net.Sockets;

namespace Strongroom.Testing;

public static class Ports
{
    // Below Linux's ephemeral range (32768-60999): outgoing client connections, of which the
    // tests make many, never take these, so a port found free stays free until Kestrel binds it.
    private const int First = 20000;
    private const int Last = 32000;

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A currently free TCP port on 127.0.0.1 (services under test bind to loopback only).</summary>
    public static int Free()
    {
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

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use by another process; try another.
            }
        }

        throw new InvalidOperationException($"no free port between {First} and {Last}");
    }

    /// <summary>
    /// An offset for a whole dev stack (DevLayout's port offset) such that every shifted dev port
    /// (7401–7405, 7411–7415, 7424, 7443, 7453) is free and below the ephemeral range, so a test stack
    /// never collides with a developer's stack on 74xx or with another test's ports.
    /// </summary>
    public static int FreeDevStackOffset()
    {
        int[] devPorts = [7401, 7402, 7403, 7404, 7405, 7411, 7412, 7413, 7414, 7415, 7424, 7443, 7453];
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
