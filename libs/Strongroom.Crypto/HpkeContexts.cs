using System.Buffers.Binary;
using System.Security.Cryptography;
using Bcl = System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// The AEAD half of an HPKE context: key, base nonce and sequence number (RFC 9180 5.2). Nonce for
/// message seq = base_nonce XOR I2OSP(seq, Nn); the sequence advances only after a successful
/// seal or open, so a forged message cannot desynchronise the receiver.
/// </summary>
internal sealed class HpkeAeadState : IDisposable
{
    private readonly Bcl.ChaCha20Poly1305 _aead;
    private readonly byte[] _baseNonce = GC.AllocateArray<byte>(Hpke.NonceSize, pinned: true);
    private bool _disposed;

    internal HpkeAeadState(ReadOnlySpan<byte> key, ReadOnlySpan<byte> baseNonce)
    {
        if (key.Length != Hpke.KeySize)
        {
            throw CryptoError.InvalidLength("HPKE key", Hpke.KeySize, key.Length);
        }

        if (baseNonce.Length != Hpke.NonceSize)
        {
            throw CryptoError.InvalidLength("HPKE base nonce", Hpke.NonceSize, baseNonce.Length);
        }

        if (!Bcl.ChaCha20Poly1305.IsSupported)
        {
            throw CryptoError.Unsupported("ChaCha20-Poly1305 on this platform");
        }

        _aead = new Bcl.ChaCha20Poly1305(key);
        baseNonce.CopyTo(_baseNonce);
    }

    internal ulong SequenceNumber { get; private set; }

    internal byte[] Seal(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckSequence();
        var output = new byte[plaintext.Length + Hpke.TagSize];
        Span<byte> nonce = stackalloc byte[Hpke.NonceSize];
        ComputeNonce(nonce);
        _aead.Encrypt(nonce, plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), associatedData);
        SequenceNumber++;
        return output;
    }

    internal bool TryOpen(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        plaintext = null;
        CheckSequence();
        if (ciphertext.Length < Hpke.TagSize)
        {
            return false;
        }

        int length = ciphertext.Length - Hpke.TagSize;
        var output = new byte[length];
        Span<byte> nonce = stackalloc byte[Hpke.NonceSize];
        ComputeNonce(nonce);
        try
        {
            _aead.Decrypt(nonce, ciphertext[..length], ciphertext[length..], output, associatedData);
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(output);
            return false;
        }

        SequenceNumber++;
        plaintext = output;
        return true;
    }

    internal void SetSequenceNumberForTesting(ulong sequenceNumber) => SequenceNumber = sequenceNumber;

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _aead.Dispose();
            CryptographicOperations.ZeroMemory(_baseNonce);
        }
    }

    private void CheckSequence()
    {
        // RFC 9180 allows 2^96 - 1 messages; a ulong ends earlier, and we stop there rather than wrap
        // (a wrapped sequence would reuse a nonce).
        if (SequenceNumber == ulong.MaxValue)
        {
            throw CryptoError.SequenceExhausted();
        }
    }

    private void ComputeNonce(Span<byte> nonce)
    {
        _baseNonce.CopyTo(nonce);
        Span<byte> seq = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64BigEndian(seq, SequenceNumber);
        int offset = Hpke.NonceSize - sizeof(ulong);
        for (int i = 0; i < seq.Length; i++)
        {
            nonce[offset + i] ^= seq[i];
        }
    }
}

/// <summary>The exporter half of an HPKE context (RFC 9180 5.3).</summary>
internal sealed class HpkeExporter : IDisposable
{
    private readonly byte[] _exporterSecret = GC.AllocateArray<byte>(Hpke.HashSize, pinned: true);
    private bool _disposed;

    internal HpkeExporter(ReadOnlySpan<byte> exporterSecret) => exporterSecret.CopyTo(_exporterSecret);

    internal byte[] Export(ReadOnlySpan<byte> exporterContext, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length is < 1 or > HkdfSha256.MaxOutputLength)
        {
            throw CryptoError.OutputTooLong("HPKE export", HkdfSha256.MaxOutputLength, length);
        }

        var output = new byte[length];
        Hpke.LabeledExpand(Hpke.HpkeSuiteId, _exporterSecret, "sec"u8, exporterContext, output);
        return output;
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_exporterSecret);
        }
    }
}

/// <summary>The sender's HPKE context: seals messages in sequence and exports secrets. Not thread-safe.</summary>
public sealed class HpkeSenderContext : IDisposable
{
    private readonly HpkeAeadState _aead;
    private readonly HpkeExporter _exporter;

    internal HpkeSenderContext(byte[] encapsulatedKey, HpkeSecrets secrets)
    {
        try
        {
            EncapsulatedKey = encapsulatedKey;
            _aead = new HpkeAeadState(secrets.Key, secrets.BaseNonce);
            _exporter = new HpkeExporter(secrets.ExporterSecret);
        }
        finally
        {
            secrets.Clear();
        }
    }

    /// <summary>enc: the value the recipient needs to set up its context.</summary>
    public byte[] EncapsulatedKey { get; }

    /// <summary>The sequence number the next <see cref="Seal"/> will use.</summary>
    public ulong SequenceNumber => _aead.SequenceNumber;

    public byte[] Seal(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext) => _aead.Seal(associatedData, plaintext);

    public byte[] Export(ReadOnlySpan<byte> exporterContext, int length) => _exporter.Export(exporterContext, length);

    internal void SetSequenceNumberForTesting(ulong sequenceNumber) => _aead.SetSequenceNumberForTesting(sequenceNumber);

    public void Dispose()
    {
        _aead.Dispose();
        _exporter.Dispose();
    }
}

/// <summary>The recipient's HPKE context: opens messages in sequence and exports secrets. Not thread-safe.</summary>
public sealed class HpkeRecipientContext : IDisposable
{
    private readonly HpkeOpener _opener;
    private readonly HpkeExporter _exporter;

    internal HpkeRecipientContext(HpkeSecrets secrets)
    {
        try
        {
            _opener = new HpkeOpener(secrets.Key, secrets.BaseNonce);
            _exporter = new HpkeExporter(secrets.ExporterSecret);
        }
        finally
        {
            secrets.Clear();
        }
    }

    /// <summary>The sequence number the next <see cref="Open"/> will use.</summary>
    public ulong SequenceNumber => _opener.SequenceNumber;

    /// <summary>Opens the next message; throws <see cref="CryptoErrorKind.AuthenticationFailed"/> and keeps the sequence number.</summary>
    public byte[] Open(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext) => _opener.Open(associatedData, ciphertext);

    public bool TryOpen(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext) =>
        _opener.TryOpen(associatedData, ciphertext, out plaintext);

    public byte[] Export(ReadOnlySpan<byte> exporterContext, int length) => _exporter.Export(exporterContext, length);

    internal void SetSequenceNumberForTesting(ulong sequenceNumber) => _opener.SetSequenceNumberForTesting(sequenceNumber);

    public void Dispose()
    {
        _opener.Dispose();
        _exporter.Dispose();
    }
}

/// <summary>
/// The receiver side built from just (key, base_nonce), as the runner gets them from keyservice's
/// Decapsulate. It can open the messages of one HPKE context in order and do nothing else: no
/// export, no sealing. Not thread-safe.
/// </summary>
public sealed class HpkeOpener : IDisposable
{
    private readonly HpkeAeadState _state;

    public HpkeOpener(ReadOnlySpan<byte> key, ReadOnlySpan<byte> baseNonce) => _state = new HpkeAeadState(key, baseNonce);

    /// <summary>Builds an opener from keys returned by <see cref="Hpke.DecapsulateMessageKeys"/>.</summary>
    public HpkeOpener(HpkeMessageKeys keys)
        : this(Required(keys).Key, keys.BaseNonce)
    {
    }

    /// <summary>The sequence number the next <see cref="Open"/> will use.</summary>
    public ulong SequenceNumber => _state.SequenceNumber;

    /// <summary>Opens the next message; throws <see cref="CryptoErrorKind.AuthenticationFailed"/> and keeps the sequence number.</summary>
    public byte[] Open(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext) =>
        _state.TryOpen(associatedData, ciphertext, out byte[]? plaintext) ? plaintext : throw CryptoError.AuthenticationFailed();

    public bool TryOpen(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext) =>
        _state.TryOpen(associatedData, ciphertext, out plaintext);

    internal void SetSequenceNumberForTesting(ulong sequenceNumber) => _state.SetSequenceNumberForTesting(sequenceNumber);

    public void Dispose() => _state.Dispose();

    private static HpkeMessageKeys Required(HpkeMessageKeys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys;
    }
}

/// <summary>
/// The AEAD key and base nonce of one recipient context — all keyservice's Decapsulate returns.
/// Dispose zeroes them.
/// </summary>
public sealed class HpkeMessageKeys : IDisposable
{
    private readonly byte[] _key = GC.AllocateArray<byte>(Hpke.KeySize, pinned: true);
    private readonly byte[] _baseNonce = GC.AllocateArray<byte>(Hpke.NonceSize, pinned: true);
    private bool _disposed;

    public HpkeMessageKeys(ReadOnlySpan<byte> key, ReadOnlySpan<byte> baseNonce)
    {
        if (key.Length != Hpke.KeySize)
        {
            throw CryptoError.InvalidLength("HPKE key", Hpke.KeySize, key.Length);
        }

        if (baseNonce.Length != Hpke.NonceSize)
        {
            throw CryptoError.InvalidLength("HPKE base nonce", Hpke.NonceSize, baseNonce.Length);
        }

        key.CopyTo(_key);
        baseNonce.CopyTo(_baseNonce);
    }

    /// <summary>The 32-byte ChaCha20-Poly1305 key.</summary>
    public ReadOnlySpan<byte> Key
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>The 12-byte base nonce.</summary>
    public ReadOnlySpan<byte> BaseNonce
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _baseNonce;
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_key);
            CryptographicOperations.ZeroMemory(_baseNonce);
        }
    }
}
