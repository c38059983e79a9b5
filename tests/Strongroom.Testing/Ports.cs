using System.Net;
using System.Net.Sockets;

namespace Strongroom.Testing;

public static class Ports
{
    /// <summary>A currently free TCP port on 127.0.0.1 (services under test bind to loopback only).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
