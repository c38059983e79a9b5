using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Primitives;

/// <summary>Misuse of the AEAD wrappers, over both algorithms: each fails with the right error kind.</summary>
public class AeadMisuseTests
{
    public static TheoryData<AeadAlgorithm> Algorithms => [AeadAlgorithm.Aes256Gcm, AeadAlgorithm.ChaCha20Poly1305];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Aead_round_trips_including_empty_plaintext_and_aad(AeadAlgorithm algorithm)
    {
        byte[] key = SecureRandom.GetBytes(32), nonce = SecureRandom.GetBytes(12);
        foreach (byte[] plaintext in new[] { Array.Empty<byte>(), Utf8("private key bytes"), SecureRandom.GetBytes(4096) })
        {
            byte[] sealedData = Aead.Seal(algorithm, key, nonce, plaintext, Utf8("aad"));
            Assert.Equal(plaintext.Length + 16, sealedData.Length);
            Assert.Equal(plaintext, Aead.Open(algorithm, key, nonce, sealedData, Utf8("aad")));
            Assert.Equal(Aead.Seal(algorithm, key, nonce, plaintext, []), Aead.Seal(algorithm, key, nonce, plaintext, ReadOnlySpan<byte>.Empty));
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Keys_other_than_32_bytes_are_unsupported(AeadAlgorithm algorithm)
    {
        foreach (int length in new[] { 0, 16, 24, 31, 33, 64 })
        {
            AssertKind(CryptoErrorKind.Unsupported, () => Aead.Seal(algorithm, new byte[length], new byte[12], [1], []));
            AssertKind(CryptoErrorKind.Unsupported, () => Aead.Open(algorithm, new byte[length], new byte[12], new byte[17], []));
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Nonces_other_than_12_bytes_and_tags_other_than_16_bytes_are_unsupported(AeadAlgorithm algorithm)
    {
        byte[] key = SecureRandom.GetBytes(32);
        foreach (int length in new[] { 0, 8, 11, 13, 16, 24 })
        {
            AssertKind(CryptoErrorKind.Unsupported, () => Aead.Seal(algorithm, key, new byte[length], [1], []));
            AssertKind(CryptoErrorKind.Unsupported, () => Aead.Open(algorithm, key, new byte[length], new byte[17], []));
        }

        foreach (int tagLength in new[] { 0, 4, 8, 12, 15, 17 })
        {
            AssertKind(CryptoErrorKind.Unsupported, () => Aead.Open(algorithm, key, new byte[12], new byte[5], new byte[tagLength], []));
            AssertKind(CryptoErrorKind.Unsupported, () => Aead.Seal(algorithm, key, new byte[12], new byte[5], [], new byte[5], new byte[tagLength]));
        }
    }

    [Fact]
    public void Unknown_algorithm_is_unsupported() =>
        AssertKind(CryptoErrorKind.Unsupported, () => Aead.Seal((AeadAlgorithm)99, new byte[32], new byte[12], [], []));

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Tampered_truncated_or_empty_ciphertexts_and_wrong_aad_fail_authentication(AeadAlgorithm algorithm)
    {
        byte[] key = SecureRandom.GetBytes(32), nonce = SecureRandom.GetBytes(12), aad = Utf8("key k1 version 3");
        byte[] sealedData = Aead.Seal(algorithm, key, nonce, Utf8("secret"), aad);

        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, nonce, Flip(sealedData, 0), aad));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, nonce, Flip(sealedData, sealedData.Length - 1), aad));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, nonce, sealedData.AsSpan(0, sealedData.Length - 1), aad));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, nonce, sealedData.AsSpan(0, 15), aad));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, nonce, [], aad));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, nonce, sealedData, Flip(aad, 0)));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, nonce, sealedData, []));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, key, Flip(nonce, 0), sealedData, aad));
        AssertKind(CryptoErrorKind.AuthenticationFailed, () => Aead.Open(algorithm, Flip(key, 0), nonce, sealedData, aad));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Failed_try_open_leaves_no_plaintext_in_the_buffer(AeadAlgorithm algorithm)
    {
        byte[] key = SecureRandom.GetBytes(32), nonce = SecureRandom.GetBytes(12);
        byte[] sealedData = Aead.Seal(algorithm, key, nonce, Utf8("sixteen byte msg"), []);
        var plaintext = new byte[16];
        Assert.False(Aead.TryOpen(algorithm, key, nonce, Flip(sealedData, 20), [], plaintext));
        Assert.All(plaintext, b => Assert.Equal(0, b));
        AssertKind(CryptoErrorKind.InvalidArgument, () => Aead.TryOpen(algorithm, key, nonce, sealedData, [], new byte[15]));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Output_buffers_of_the_wrong_size_are_invalid_arguments(AeadAlgorithm algorithm)
    {
        byte[] key = SecureRandom.GetBytes(32), nonce = SecureRandom.GetBytes(12);
        AssertKind(CryptoErrorKind.InvalidArgument, () => Aead.Seal(algorithm, key, nonce, new byte[4], [], new byte[19]));
        AssertKind(CryptoErrorKind.InvalidArgument, () => Aead.Seal(algorithm, key, nonce, new byte[4], [], new byte[3], new byte[16]));
    }

    private static void AssertKind(CryptoErrorKind kind, Action action) => Assert.Equal(kind, Assert.Throws<CryptoException>(action).Kind);

    private static void AssertKind(CryptoErrorKind kind, Func<object> action) => Assert.Equal(kind, Assert.Throws<CryptoException>(action).Kind);
}
