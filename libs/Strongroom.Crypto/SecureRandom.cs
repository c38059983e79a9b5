using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>Random bytes from the operating system's CSPRNG (the only source this library uses).</summary>
public static class SecureRandom
{
    public static byte[] GetBytes(int count)
    {
        if (count < 0)
        {
            throw CryptoError.InvalidArgument("The count of random bytes cannot be negative.");
        }

        return RandomNumberGenerator.GetBytes(count);
    }

    public static void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
