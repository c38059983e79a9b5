using Strongroom.Stack;

namespace Strongroom.Testing;

/// <summary>The tests' name for <see cref="PortBlocks"/> (one implementation, shared with the bench).</summary>
public static class Ports
{
    /// <summary>A currently free TCP port on 127.0.0.1 (services under test bind to loopback only).</summary>
    public static int Free() => PortBlocks.Free();

    /// <summary>An offset for a whole dev stack whose shifted ports are all free (see <see cref="PortBlocks.FreeDevStackOffset"/>).</summary>
    public static int FreeDevStackOffset() => PortBlocks.FreeDevStackOffset();
}
