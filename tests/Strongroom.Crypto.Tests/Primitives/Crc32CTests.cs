using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Primitives;

/// <summary>CRC32C as Cloud KMS computes it.</summary>
public class Crc32CTests
{
    [Fact]
    public void Crc32c_of_123456789_is_the_castagnoli_check_value() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Crc32c_of_empty_input_is_zero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void Crc32c_matches_the_rfc3720_iscsi_vectors()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void Crc32c_agrees_with_a_bitwise_reference_for_every_length_and_alignment()
    {
        byte[] data = SecureRandom.GetBytes(300);
        for (int length = 0; length <= 70; length++)
        {
            for (int offset = 0; offset < 9; offset++)
            {
                Assert.Equal(Reference(data.AsSpan(offset, length)), Crc32C.Compute(data.AsSpan(offset, length)));
            }
        }
    }

    [Fact]
    public void Crc32c_is_given_as_the_int64_cloud_kms_carries()
    {
        Assert.Equal(0xE3069283L, Crc32C.ComputeAsInt64("123456789"u8));
        Assert.True(Crc32C.Matches("123456789"u8, 3808858755L));
        Assert.False(Crc32C.Matches("123456780"u8, 3808858755L));
        Assert.Equal(Crc32C.Compute(Utf8("x")), (uint)Crc32C.ComputeAsInt64(Utf8("x")));
    }

    private static uint Reference(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
