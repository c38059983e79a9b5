using System.Net;
using System.Net.Sockets;

namespace Strongroom.Cli.Tests.Support;

/// <summary>A port offset for a whole dev stack, so tests never collide with a developer's stack on 74xx.</summary>
public static class PortBlock
{
    /// <summary>An offset such that every shifted dev port (7401–7453) is free, below the ephemeral range.</summary>
    public static int FreeOffset()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var candidate = Random.Shared.Next(20000, 31900);
            var ports = new[] { 1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 24, 43, 53 }.Select(p => candidate + p);
            if (ports.All(IsFree))
            {
                return candidate - 7400;
            }
        }

        throw new InvalidOperationException("no free block of ports");
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

/// <summary>Tests that start a whole stack run one at a time: two stacks on two cores starve each other.</summary>
[CollectionDefinition(Name)]
public sealed class StackCollection
{
    public const string Name = "real stack";
}
