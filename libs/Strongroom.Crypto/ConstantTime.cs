using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>Comparisons whose running time does not depend on the bytes compared.</summary>
public static class ConstantTime
{
    /// <summary>True when both spans have the same length and contents; time depends only on the length.</summary>
    public static bool AreEqual(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) =>
        CryptographicOperations.FixedTimeEquals(left, right);

    /// <summary>True when every byte is zero; reads every byte whatever it finds.</summary>
    public static bool IsAllZero(ReadOnlySpan<byte> value)
    {
        int accumulator = 0;
        foreach (byte b in value)
        {
            accumulator |= b;
        }

        return accumulator == 0;
    }

    /// <summary>
    /// Writes <paramref name="whenTrue"/> into <paramref name="destination"/> when
    /// <paramref name="condition"/> is set, otherwise <paramref name="whenFalse"/>, without branching
    /// on the condition per byte.
    /// </summary>
    internal static void Select(bool condition, ReadOnlySpan<byte> whenTrue, ReadOnlySpan<byte> whenFalse, Span<byte> destination)
    {
        // 0xFF when true, 0x00 when false, computed arithmetically from the bool's 0/1 value.
        byte mask = (byte)-(condition ? 1 : 0);
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)((whenTrue[i] & mask) | (whenFalse[i] & ~mask));
        }
    }
}
