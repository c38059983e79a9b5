using System.Security.Cryptography;

namespace Strongroom.Core;

/// <summary>
/// Opaque, tamper-checked page tokens for offset paging: the offset under an HMAC with a
/// per-process key, so a caller can neither forge nor edit one (a restart invalidates them).
/// </summary>
public static class PageToken
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    public static string Encode(int offset)
    {
        var body = BitConverter.GetBytes(offset);
        var mac = HMACSHA256.HashData(Key, body).AsSpan(0, 16);
        return Convert.ToBase64String([.. body, .. mac]);
    }

    /// <summary>The offset a token carries; 0 for an empty token; INVALID_ARGUMENT for anything not issued here.</summary>
    public static int Decode(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            var raw = Convert.FromBase64String(token);
            if (raw.Length == 20
                && CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(Key, raw.AsSpan(0, 4)).AsSpan(0, 16), raw.AsSpan(4))
                && BitConverter.ToInt32(raw, 0) is var offset and >= 0)
            {
                return offset;
            }
        }
        catch (FormatException)
        {
        }

        throw StrongroomException.InvalidArgument("page_token", "not a token this service issued");
    }
}
