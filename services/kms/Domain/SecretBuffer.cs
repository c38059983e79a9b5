using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Kms.Domain;

/// <summary>
/// A pinned, growable byte buffer for serialized secrets (the store's cleartext): growth zeroes the
/// old array, and <see cref="Dispose"/> zeroes the current one, so no readable copy is left behind.
/// </summary>
internal sealed class SecretBuffer : IDisposable
{
    private byte[] _buffer;

    public SecretBuffer(int capacity = 4096)
    {
        _buffer = GC.AllocateArray<byte>(Math.Max(capacity, 16), pinned: true);
    }

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>A buffer holding a copy of <paramref name="data"/>.</summary>
    public static SecretBuffer CopyOf(ReadOnlySpan<byte> data)
    {
        var buffer = new SecretBuffer(data.Length);
        data.CopyTo(buffer.GetSpan(data.Length));
        buffer.Length = data.Length;
        return buffer;
    }

    /// <summary>Space for <paramref name="count"/> bytes at the end; call <see cref="Advance"/> after writing.</summary>
    public Span<byte> GetSpan(int count)
    {
        if (Length + count > _buffer.Length)
        {
            var bigger = GC.AllocateArray<byte>(Math.Max(_buffer.Length * 2, Length + count), pinned: true);
            _buffer.AsSpan(0, Length).CopyTo(bigger);
            CryptographicOperations.ZeroMemory(_buffer);
            _buffer = bigger;
        }

        return _buffer.AsSpan(Length, count);
    }

    public void Advance(int count) => Length += count;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        Advance(1);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(GetSpan(4), value);
        Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(GetSpan(8), value);
        Advance(8);
    }

    /// <summary>u16 length, then UTF-8 bytes (names and identities only, never secrets).</summary>
    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new InvalidOperationException("string too long for the store format");
        }

        BinaryPrimitives.WriteUInt16BigEndian(GetSpan(2), (ushort)count);
        Advance(2);
        Encoding.UTF8.GetBytes(value, GetSpan(count));
        Advance(count);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_buffer);
        Length = 0;
    }
}
