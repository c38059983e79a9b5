using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Storage.Domain;

/// <summary>
/// Paging tokens bound to the listing they continue: HMAC-SHA256 (key shared by replicas through
/// the store) over the scope (the owner listed, or "*") and the last sequence number. A token
/// edited, forged or replayed into another owner's listing is INVALID_ARGUMENT.
/// </summary>
public sealed class PageTokens(byte[] key)
{
    private const int MacSize = 16;

    public string Issue(string scope, long lastSequence)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(body, lastSequence);
        return StrictBase64.EncodeUrl([.. body, .. Mac(scope, body)]);
    }

    /// <summary>0 for an empty token; the sequence to continue after otherwise.</summary>
    public long Read(string? token, string scope)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        if (!StrictBase64.TryDecodeUrl(token, out var bytes) || bytes.Length != 8 + MacSize
            || !CryptographicOperations.FixedTimeEquals(bytes.AsSpan(8), Mac(scope, bytes.AsSpan(0, 8))))
        {
            throw StrongroomException.InvalidArgument("page_token", "not a page token this listing issued");
        }

        return BinaryPrimitives.ReadInt64BigEndian(bytes);
    }

    private byte[] Mac(string scope, ReadOnlySpan<byte> body)
    {
        var input = Encoding.UTF8.GetBytes("strongroom/storage/page/v1\0" + scope + "\0");
        byte[] message = [.. input, .. body];
        return HMACSHA256.HashData(key, message)[..MacSize];
    }
}
