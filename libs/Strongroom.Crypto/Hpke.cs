using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// HPKE (RFC 9180) base mode with Strongroom's single suite: DHKEM(X25519, HKDF-SHA256) (0x0020),
/// HKDF-SHA256 (0x0001), ChaCha20-Poly1305 (0x0003). No other mode or suite exists here, so there is
/// nothing to negotiate and nothing to downgrade.
/// </summary>
public static class Hpke
{
    public const ushort KemId = 0x0020;
    public const ushort KdfId = 0x0001;
    public const ushort AeadId = 0x0003;

    /// <summary>Nenc, Npk: an encapsulated key is the ephemeral X25519 public key.</summary>
    public const int EncapsulatedKeySize = 32;

    /// <summary>Nk: the AEAD key length.</summary>
    public const int KeySize = 32;

    /// <summary>Nn: the AEAD nonce length.</summary>
    public const int NonceSize = 12;

    /// <summary>Nt: the AEAD tag length.</summary>
    public const int TagSize = 16;

    /// <summary>Nh and Nsecret.</summary>
    internal const int HashSize = 32;

    private const byte ModeBase = 0x00;

    /// <summary>HPKE info for requests sealed to a runner's key (DESIGN 3.2).</summary>
    public static ReadOnlySpan<byte> RequestInfo => "strongroom/request/v1"u8;

    /// <summary>HPKE info for results sealed to a requester's key (DESIGN 3.4).</summary>
    public static ReadOnlySpan<byte> ResultInfo => "strongroom/result/v1"u8;

    /// <summary>suite_id for the KEM: "KEM" || I2OSP(kem_id, 2).</summary>
    internal static ReadOnlySpan<byte> KemSuiteId => [(byte)'K', (byte)'E', (byte)'M', 0x00, 0x20];

    /// <summary>suite_id for the key schedule: "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2).</summary>
    internal static ReadOnlySpan<byte> HpkeSuiteId => [(byte)'H', (byte)'P', (byte)'K', (byte)'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x03];

    private static ReadOnlySpan<byte> Version => "HPKE-v1"u8;

    /// <summary>DeriveKeyPair(ikm) for DHKEM(X25519, HKDF-SHA256) (RFC 9180 section 7.1.3).</summary>
    public static X25519KeyPair DeriveKeyPair(ReadOnlySpan<byte> inputKeyMaterial, bool exportable = false)
    {
        Span<byte> sk = stackalloc byte[X25519KeyPair.PrivateKeySize];
        try
        {
            DeriveKeyPairBytes(inputKeyMaterial, sk);
            return X25519KeyPair.Import(sk, exportable);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sk);
        }
    }

    /// <summary>Sender setup: fresh ephemeral key, Encap to <paramref name="recipient"/>, key schedule.</summary>
    public static HpkeSenderContext SetupBaseSender(X25519PublicKey recipient, ReadOnlySpan<byte> info)
    {
        Span<byte> skE = stackalloc byte[X25519Ephemeral.PrivateKeySize];
        try
        {
            SecureRandom.Fill(skE);
            return SetupBaseSender(recipient, info, skE);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(skE);
        }
    }

    /// <summary>Sender setup with a given ephemeral private key: only for known-answer tests.</summary>
    internal static HpkeSenderContext SetupBaseSender(X25519PublicKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> ephemeralPrivateKey)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        Span<byte> sharedSecret = stackalloc byte[HashSize];
        var enc = new byte[EncapsulatedKeySize];
        try
        {
            Encap(recipient, ephemeralPrivateKey, sharedSecret, enc);
            var secrets = KeySchedule(sharedSecret, info);
            return new HpkeSenderContext(enc, secrets);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }

    /// <summary>Recipient setup: Decap <paramref name="encapsulatedKey"/> with <paramref name="recipient"/>, key schedule.</summary>
    public static HpkeRecipientContext SetupBaseRecipient(ReadOnlySpan<byte> encapsulatedKey, X25519KeyPair recipient, ReadOnlySpan<byte> info)
    {
        var secrets = RecipientSecrets(encapsulatedKey, recipient, info);
        return new HpkeRecipientContext(secrets);
    }

    /// <summary>
    /// Recipient setup that hands out only the AEAD key and base nonce (what keyservice's
    /// Decapsulate returns). The exporter secret is derived and zeroed here, never released, so the
    /// holder of these keys can open the message and nothing else.
    /// </summary>
    public static HpkeMessageKeys DecapsulateMessageKeys(ReadOnlySpan<byte> encapsulatedKey, X25519KeyPair recipient, ReadOnlySpan<byte> info)
    {
        var secrets = RecipientSecrets(encapsulatedKey, recipient, info);
        try
        {
            return new HpkeMessageKeys(secrets.Key, secrets.BaseNonce);
        }
        finally
        {
            secrets.Clear();
        }
    }

    /// <summary>Single-shot seal (sequence number 0) with a fresh ephemeral key.</summary>
    public static HpkeSealedMessage Seal(X25519PublicKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
    {
        using var context = SetupBaseSender(recipient, info);
        return new HpkeSealedMessage(context.EncapsulatedKey, context.Seal(associatedData, plaintext));
    }

    /// <summary>Single-shot seal with a given ephemeral private key: only for known-answer tests.</summary>
    internal static HpkeSealedMessage Seal(X25519PublicKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ephemeralPrivateKey)
    {
        using var context = SetupBaseSender(recipient, info, ephemeralPrivateKey);
        return new HpkeSealedMessage(context.EncapsulatedKey, context.Seal(associatedData, plaintext));
    }

    /// <summary>Single-shot open (sequence number 0); throws <see cref="CryptoErrorKind.AuthenticationFailed"/>.</summary>
    public static byte[] Open(X25519KeyPair recipient, ReadOnlySpan<byte> encapsulatedKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext)
    {
        using var context = SetupBaseRecipient(encapsulatedKey, recipient, info);
        return context.Open(associatedData, ciphertext);
    }

    // ---- RFC 9180 building blocks (internal so the appendix vectors can check each step) ----

    internal static void DeriveKeyPairBytes(ReadOnlySpan<byte> inputKeyMaterial, Span<byte> privateKey)
    {
        Span<byte> dkpPrk = stackalloc byte[HashSize];
        try
        {
            LabeledExtract(KemSuiteId, [], "dkp_prk"u8, inputKeyMaterial, dkpPrk);

            // For X25519 the expanded bytes are the private key as they are (RFC 9180 7.1.3);
            // clamping happens inside every scalar multiplication.
            LabeledExpand(KemSuiteId, dkpPrk, "sk"u8, [], privateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dkpPrk);
        }
    }

    /// <summary>Encap(pkR) with the ephemeral key skE; writes shared_secret and enc.</summary>
    internal static void Encap(X25519PublicKey recipient, ReadOnlySpan<byte> ephemeralPrivateKey, Span<byte> sharedSecret, Span<byte> enc)
    {
        Span<byte> dh = stackalloc byte[X25519Ephemeral.SharedSecretSize];
        Span<byte> kemContext = stackalloc byte[2 * EncapsulatedKeySize];
        try
        {
            X25519Ephemeral.DerivePublicKey(ephemeralPrivateKey, enc);
            X25519Ephemeral.Agree(ephemeralPrivateKey, recipient.Bytes, dh);
            enc.CopyTo(kemContext);
            recipient.Bytes.CopyTo(kemContext[EncapsulatedKeySize..]);
            ExtractAndExpand(dh, kemContext, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>Decap(enc, skR); writes shared_secret. Refuses a low-order enc (all-zero DH).</summary>
    internal static void Decap(ReadOnlySpan<byte> enc, X25519KeyPair recipient, Span<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (enc.Length != EncapsulatedKeySize)
        {
            throw CryptoError.Malformed("HPKE encapsulated key (must be 32 bytes)");
        }

        Span<byte> dh = stackalloc byte[X25519Ephemeral.SharedSecretSize];
        Span<byte> kemContext = stackalloc byte[2 * EncapsulatedKeySize];
        try
        {
            recipient.Agree(X25519PublicKey.Import(enc), dh);
            enc.CopyTo(kemContext);
            recipient.PublicKey.Bytes.CopyTo(kemContext[EncapsulatedKeySize..]);
            ExtractAndExpand(dh, kemContext, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    internal static HpkeSecrets KeySchedule(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> info)
    {
        // key_schedule_context = mode || psk_id_hash || info_hash (base mode: psk and psk_id empty).
        Span<byte> context = stackalloc byte[1 + (2 * HashSize)];
        Span<byte> secret = stackalloc byte[HashSize];
        var secrets = new HpkeSecrets();
        try
        {
            context[0] = ModeBase;
            LabeledExtract(HpkeSuiteId, [], "psk_id_hash"u8, [], context.Slice(1, HashSize));
            LabeledExtract(HpkeSuiteId, [], "info_hash"u8, info, context.Slice(1 + HashSize, HashSize));
            LabeledExtract(HpkeSuiteId, sharedSecret, "secret"u8, [], secret);
            LabeledExpand(HpkeSuiteId, secret, "key"u8, context, secrets.Key);
            LabeledExpand(HpkeSuiteId, secret, "base_nonce"u8, context, secrets.BaseNonce);
            LabeledExpand(HpkeSuiteId, secret, "exp"u8, context, secrets.ExporterSecret);
            return secrets;
        }
        catch
        {
            secrets.Clear();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm).</summary>
    internal static void LabeledExtract(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm, Span<byte> prk)
    {
        int length = Version.Length + suiteId.Length + label.Length + ikm.Length;
        Span<byte> labeledIkm = length <= 256 ? stackalloc byte[256] : GC.AllocateUninitializedArray<byte>(length, pinned: true);
        labeledIkm = labeledIkm[..length];
        try
        {
            var rest = labeledIkm;
            Version.CopyTo(rest);
            rest = rest[Version.Length..];
            suiteId.CopyTo(rest);
            rest = rest[suiteId.Length..];
            label.CopyTo(rest);
            rest = rest[label.Length..];
            ikm.CopyTo(rest);
            HKDF.Extract(HashAlgorithmName.SHA256, labeledIkm, salt, prk);
        }
        finally
        {
            // The ikm is a DH output or key material: wipe the copy.
            CryptographicOperations.ZeroMemory(labeledIkm);
        }
    }

    /// <summary>LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).</summary>
    internal static void LabeledExpand(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length is < 1 or > HkdfSha256.MaxOutputLength)
        {
            throw CryptoError.OutputTooLong("HPKE expand", HkdfSha256.MaxOutputLength, output.Length);
        }

        int length = 2 + Version.Length + suiteId.Length + label.Length + info.Length;
        Span<byte> labeledInfo = length <= 256 ? stackalloc byte[256] : new byte[length];
        labeledInfo = labeledInfo[..length];
        BinaryPrimitives.WriteUInt16BigEndian(labeledInfo, (ushort)output.Length);
        var rest = labeledInfo[2..];
        Version.CopyTo(rest);
        rest = rest[Version.Length..];
        suiteId.CopyTo(rest);
        rest = rest[suiteId.Length..];
        label.CopyTo(rest);
        rest = rest[label.Length..];
        info.CopyTo(rest);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, output, labeledInfo);
    }

    private static void ExtractAndExpand(ReadOnlySpan<byte> dh, ReadOnlySpan<byte> kemContext, Span<byte> sharedSecret)
    {
        Span<byte> eaePrk = stackalloc byte[HashSize];
        try
        {
            LabeledExtract(KemSuiteId, [], "eae_prk"u8, dh, eaePrk);
            LabeledExpand(KemSuiteId, eaePrk, "shared_secret"u8, kemContext, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(eaePrk);
        }
    }

    private static HpkeSecrets RecipientSecrets(ReadOnlySpan<byte> encapsulatedKey, X25519KeyPair recipient, ReadOnlySpan<byte> info)
    {
        Span<byte> sharedSecret = stackalloc byte[HashSize];
        try
        {
            Decap(encapsulatedKey, recipient, sharedSecret);
            return KeySchedule(sharedSecret, info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }
}

/// <summary>The key schedule's outputs, in pinned arrays so the GC never leaves copies behind.</summary>
internal sealed class HpkeSecrets
{
    internal byte[] Key { get; } = GC.AllocateArray<byte>(Hpke.KeySize, pinned: true);

    internal byte[] BaseNonce { get; } = GC.AllocateArray<byte>(Hpke.NonceSize, pinned: true);

    internal byte[] ExporterSecret { get; } = GC.AllocateArray<byte>(Hpke.HashSize, pinned: true);

    internal void Clear()
    {
        CryptographicOperations.ZeroMemory(Key);
        CryptographicOperations.ZeroMemory(BaseNonce);
        CryptographicOperations.ZeroMemory(ExporterSecret);
    }
}

/// <summary>An HPKE single-shot result: the encapsulated key and the ciphertext (with tag).</summary>
public sealed record HpkeSealedMessage(byte[] EncapsulatedKey, byte[] Ciphertext);
