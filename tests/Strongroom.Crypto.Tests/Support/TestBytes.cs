using System.Text;

namespace Strongroom.Crypto.Tests.Support;

internal static class TestBytes
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A copy with one bit flipped at <paramref name="index"/>.</summary>
    public static byte[] Flip(ReadOnlySpan<byte> data, int index)
    {
        byte[] copy = data.ToArray();
        copy[index] ^= 0x01;
        return copy;
    }
}
