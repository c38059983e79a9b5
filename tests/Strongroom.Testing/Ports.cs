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
}
