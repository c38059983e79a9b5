using System.Buffers.Binary;
using System.Numerics;

namespace Strongroom.Crypto;

/// <summary>
/// CRC32C (Castagnoli), the checksum Cloud KMS puts beside plaintexts, ciphertexts and AAD. Not a
/// security mechanism: it catches corruption in transit, and both sides check it.
/// </summary>
public static class Crc32C
{
    /// <summary>The standard CRC32C: initial value and final XOR 0xFFFFFFFF, reflected polynomial 0x82F63B78.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        while (data.Length >= sizeof(ulong))
        {
            // BitOperations.Crc32C consumes a 64-bit value least significant byte first.
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    /// <summary>Cloud KMS carries checksums as an Int64Value holding the unsigned 32-bit CRC.</summary>
    public static long ComputeAsInt64(ReadOnlySpan<byte> data) => Compute(data);

    public static bool Matches(ReadOnlySpan<byte> data, long expected) => expected == ComputeAsInt64(data);
}
