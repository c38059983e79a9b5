using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Envelopes;

/// <summary>Envelope encryption of private keys at rest: format, round trip, and fail-closed opening.</summary>
public class DataKeyEnvelopeTests
{
    private static readonly byte[] Aad = Utf8("keyservice/keys/runner-x25519/versions/3");

    [Fact]
    public void Seal_generates_a_fresh_data_key_and_a_versioned_blob_that_opens_with_it()
    {
        byte[] privateKey = SecureRandom.GetBytes(32);
        using DataKeyEnvelopeSealed sealedKey = DataKeyEnvelope.Seal(privateKey, Aad);

        Assert.Equal(32, sealedKey.DataKey.Length);
        Assert.Equal(1 + 12 + 32 + 16, sealedKey.Blob.Length);
        Assert.Equal(DataKeyEnvelope.Version1, sealedKey.Blob[0]);
        Assert.Equal(privateKey, DataKeyEnvelope.Open(sealedKey.DataKey, sealedKey.Blob, Aad));
    }

    [Fact]
    public void Every_seal_uses_a_new_data_key_and_nonce()
    {
        using DataKeyEnvelopeSealed first = DataKeyEnvelope.Seal([1, 2, 3], Aad);
        using DataKeyEnvelopeSealed second = DataKeyEnvelope.Seal([1, 2, 3], Aad);
        Assert.NotEqual(first.DataKey.ToArray(), second.DataKey.ToArray());
        Assert.NotEqual(first.Blob.AsSpan(1, 12).ToArray(), second.Blob.AsSpan(1, 12).ToArray());

        byte[] resealed = DataKeyEnvelope.Seal(first.DataKey, [1, 2, 3], Aad);
        Assert.NotEqual(first.Blob.AsSpan(1, 12).ToArray(), resealed.AsSpan(1, 12).ToArray());
    }

    [Fact]
    public void Any_single_bit_change_anywhere_in_the_blob_fails_with_one_error_kind()
    {
        using DataKeyEnvelopeSealed sealedKey = DataKeyEnvelope.Seal(Utf8("ed25519 seed..................!"), Aad);
        byte[] dataKey = sealedKey.DataKey.ToArray();
        for (int i = 0; i < sealedKey.Blob.Length; i++)
        {
            AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, Flip(sealedKey.Blob, i), Aad));
        }
    }

    [Fact]
    public void Wrong_aad_wrong_data_key_truncation_and_unknown_version_fail_closed()
    {
        using DataKeyEnvelopeSealed sealedKey = DataKeyEnvelope.Seal(Utf8("key"), Aad);
        byte[] dataKey = sealedKey.DataKey.ToArray();
        byte[] blob = sealedKey.Blob;

        AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, blob, Utf8("keyservice/keys/runner-x25519/versions/4")));
        AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, blob, []));
        AssertFailsClosed(() => DataKeyEnvelope.Open(SecureRandom.GetBytes(32), blob, Aad));
        AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, blob.AsSpan(0, blob.Length - 1), Aad));
        AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, blob.AsSpan(0, DataKeyEnvelope.Overhead - 1), Aad));
        AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, [], Aad));
        byte[] version2 = (byte[])blob.Clone();
        version2[0] = 2;
        AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, version2, Aad));
    }

    [Fact]
    public void Empty_plaintext_is_allowed_and_still_authenticated()
    {
        using DataKeyEnvelopeSealed sealedKey = DataKeyEnvelope.Seal([], Aad);
        Assert.Equal(DataKeyEnvelope.Overhead, sealedKey.Blob.Length);
        Assert.Empty(DataKeyEnvelope.Open(sealedKey.DataKey, sealedKey.Blob, Aad));
        byte[] dataKey = sealedKey.DataKey.ToArray();
        AssertFailsClosed(() => DataKeyEnvelope.Open(dataKey, sealedKey.Blob, Utf8("other")));
    }

    [Fact]
    public void Data_key_of_the_wrong_length_is_an_invalid_argument()
    {
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => DataKeyEnvelope.Open(new byte[16], new byte[40], Aad)).Kind);
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => DataKeyEnvelope.Seal(new byte[31], [1], Aad)).Kind);
    }

    [Fact]
    public void Data_key_is_zeroed_and_unreadable_after_dispose()
    {
        DataKeyEnvelopeSealed sealedKey = DataKeyEnvelope.Seal([9], Aad);
        sealedKey.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sealedKey.DataKey.ToArray());
    }

    private static void AssertFailsClosed(Func<byte[]> open)
    {
        var error = Assert.Throws<CryptoException>(open);
        Assert.Equal(CryptoErrorKind.AuthenticationFailed, error.Kind);
    }
}
