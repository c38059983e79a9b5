using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Envelopes;

/// <summary>Exceptions never carry secret bytes, in any encoding a log might show.</summary>
public class ErrorHygieneTests
{
    [Fact]
    public void Failure_messages_contain_no_key_plaintext_or_shared_secret_bytes()
    {
        byte[] key = SecureRandom.GetBytes(32);
        byte[] plaintext = SecureRandom.GetBytes(24);
        using DataKeyEnvelopeSealed sealedKey = DataKeyEnvelope.Seal(plaintext, Utf8("aad"));
        byte[] dataKey = sealedKey.DataKey.ToArray();
        var failures = new List<CryptoException>
        {
            Assert.Throws<CryptoException>(() => DataKeyEnvelope.Open(dataKey, Flip(sealedKey.Blob, 20), Utf8("aad"))),
            Assert.Throws<CryptoException>(() => Aead.Open(AeadAlgorithm.ChaCha20Poly1305, key, new byte[12], new byte[40], [])),
            Assert.Throws<CryptoException>(() => Aead.Open(AeadAlgorithm.Aes256Gcm, key.AsSpan(0, 16), new byte[12], new byte[40], [])),
            Assert.Throws<CryptoException>(() => StudioMlPayload.OpenBox(key, new byte[64])),
            Assert.Throws<CryptoException>(() => X25519KeyPair.Import(key).Agree(X25519PublicKey.Import(new byte[32]))),
            Assert.Throws<CryptoException>(() => JsonWebKey.Parse("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + StrictBase64.EncodeUrl(new byte[32]) + "\",\"d\":\"" + StrictBase64.EncodeUrl(key) + "\"}")),
        };

        string[] secrets =
        [
            ToHex(key), Convert.ToHexString(key), Convert.ToBase64String(key), StrictBase64.EncodeUrl(key),
            ToHex(dataKey), Convert.ToBase64String(dataKey), ToHex(plaintext), Convert.ToBase64String(plaintext),
        ];
        foreach (CryptoException failure in failures)
        {
            string text = failure.ToString();
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase));
        }
    }
}
