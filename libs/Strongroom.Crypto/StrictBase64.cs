namespace Strongroom.Crypto;

/// <summary>
/// Base64 and base64url codecs that accept exactly one encoding of each byte string: no whitespace,
/// no characters outside the alphabet, padding only where the variant requires it, and unused
/// trailing bits zero. The BCL decoders skip whitespace, which would let signed text be altered
/// without changing what it decodes to.
/// </summary>
public static class StrictBase64
{
    private const string StandardAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private const string UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly sbyte[] StandardValues = BuildTable(StandardAlphabet);
    private static readonly sbyte[] UrlValues = BuildTable(UrlAlphabet);

    /// <summary>base64url without padding (RFC 7515 section 2).</summary>
    public static string EncodeUrl(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    /// <summary>Standard base64 with padding (RFC 4648 section 4).</summary>
    public static string Encode(ReadOnlySpan<byte> data) => Convert.ToBase64String(data);

    /// <summary>Decodes unpadded, canonical base64url; throws <see cref="CryptoErrorKind.Malformed"/> otherwise.</summary>
    public static byte[] DecodeUrl(ReadOnlySpan<char> text, string what = "base64url") =>
        TryDecodeUrl(text, out byte[]? data) ? data : throw CryptoError.Malformed(what);

    /// <summary>Decodes unpadded, canonical base64url.</summary>
    public static bool TryDecodeUrl(ReadOnlySpan<char> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? data) =>
        TryDecode(text, UrlValues, padded: false, out data);

    /// <summary>
    /// Compatibility decoder for sqooler: base64url that either carries correct <c>=</c> padding or
    /// none at all. Still canonical and whitespace-free.
    /// </summary>
    public static bool TryDecodeUrlOptionalPadding(ReadOnlySpan<char> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? data) =>
        text.Contains('=')
            ? TryDecode(text, UrlValues, padded: true, out data)
            : TryDecode(text, UrlValues, padded: false, out data);

    /// <summary>Decodes padded, canonical standard base64.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? data) =>
        TryDecode(text, StandardValues, padded: true, out data);

    /// <summary>Decodes padded, canonical standard base64; throws <see cref="CryptoErrorKind.Malformed"/> otherwise.</summary>
    public static byte[] Decode(ReadOnlySpan<char> text, string what = "base64") =>
        TryDecode(text, out byte[]? data) ? data : throw CryptoError.Malformed(what);

    private static bool TryDecode(ReadOnlySpan<char> text, sbyte[] table, bool padded, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? data)
    {
        data = null;
        int significant = text.Length;
        if (padded)
        {
            if (text.Length % 4 != 0)
            {
                return false;
            }

            if (significant > 0 && text[significant - 1] == '=')
            {
                significant--;
                if (text[significant - 1] == '=')
                {
                    significant--;
                }
            }
        }

        int remainder = significant % 4;
        if (remainder == 1)
        {
            return false;
        }

        var output = new byte[(significant / 4 * 3) + (remainder == 0 ? 0 : remainder - 1)];
        int written = 0;
        int accumulator = 0;
        int bits = 0;
        for (int i = 0; i < significant; i++)
        {
            char c = text[i];
            int value = c < 128 ? table[c] : -1;
            if (value < 0)
            {
                return false;
            }

            accumulator = (accumulator << 6) | value;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                output[written++] = (byte)(accumulator >> bits);
                accumulator &= (1 << bits) - 1;
            }
        }

        // Non-zero leftover bits would make a second encoding of the same bytes.
        if (accumulator != 0)
        {
            return false;
        }

        data = output;
        return true;
    }

    private static sbyte[] BuildTable(string alphabet)
    {
        var table = new sbyte[128];
        Array.Fill(table, (sbyte)-1);
        for (int i = 0; i < alphabet.Length; i++)
        {
            table[alphabet[i]] = (sbyte)i;
        }

        return table;
    }
}
