using NSec.Cryptography;
using Strongroom.Crypto;
using Strongroom.Kms.Domain;

namespace Strongroom.Kms.Storage;

/// <summary>
/// The kms's only direct use of NSec, because Strongroom.Crypto has no password hashing: Argon2id
/// turns the operator's passphrase into an XChaCha20-Poly1305 key that seals the store. The derived
/// key is an NSec <see cref="Key"/> in guarded memory, created non-exportable, and kept for the
/// process's lifetime so every change can be re-sealed without the passphrase (which is zeroed by the
/// caller right after <see cref="Derive"/>).
/// </summary>
internal sealed class PassphraseSealing : IDisposable
{
    private static readonly XChaCha20Poly1305 Aead = NSec.Cryptography.AeadAlgorithm.XChaCha20Poly1305;
    private readonly Key _key;

    private PassphraseSealing(Key key, Argon2Settings settings, byte[] salt)
    {
        _key = key;
        Settings = settings;
        Salt = salt;
    }

    public Argon2Settings Settings { get; }

    public byte[] Salt { get; }

    /// <summary>Derives the sealing key; <paramref name="settings"/> must already be validated (≥ the minimums).</summary>
    public static PassphraseSealing Derive(ReadOnlySpan<byte> passphrase, Argon2Settings settings, byte[] salt)
    {
        SealedFileFormat.Validate(settings, "Argon2id settings");
        var kdf = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = (int)settings.Parallelism,
            MemorySize = settings.MemoryKiB,
            NumberOfPasses = settings.Iterations,
        });
        var key = kdf.DeriveKey(passphrase, salt, Aead, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
        return new PassphraseSealing(key, settings, salt);
    }

    /// <summary>A new passphrase key with a fresh random salt.</summary>
    public static PassphraseSealing DeriveNew(ReadOnlySpan<byte> passphrase, Argon2Settings settings) =>
        Derive(passphrase, settings, SecureRandom.GetBytes(SealedFileFormat.SaltSize));

    /// <summary>Header (with a fresh random nonce) followed by the ciphertext; the header is the AAD.</summary>
    public byte[] Seal(SealedFileKind kind, ReadOnlySpan<byte> payload)
    {
        var nonce = SecureRandom.GetBytes(SealedFileFormat.NonceSize);
        var header = SealedFileFormat.WriteHeader(new SealedFileFormat.Header(kind, Settings, Salt, nonce));
        var file = new byte[header.Length + payload.Length + SealedFileFormat.TagSize];
        header.CopyTo(file, 0);
        Aead.Encrypt(_key, nonce, header, payload, file.AsSpan(header.Length));
        return file;
    }

    /// <summary>
    /// Opens a whole sealed file whose header was parsed into <paramref name="header"/>; null when it
    /// does not authenticate (wrong passphrase or any edited byte). The caller disposes the payload.
    /// </summary>
    public SecretBuffer? TryOpen(ReadOnlySpan<byte> file, SealedFileFormat.Header header)
    {
        var ciphertext = file[SealedFileFormat.HeaderSize..];
        var buffer = new SecretBuffer(ciphertext.Length - SealedFileFormat.TagSize);
        var target = buffer.GetSpan(ciphertext.Length - SealedFileFormat.TagSize);
        if (!Aead.Decrypt(_key, header.Nonce, file[..SealedFileFormat.HeaderSize], ciphertext, target))
        {
            buffer.Dispose();
            return null;
        }

        buffer.Advance(target.Length);
        return buffer;
    }

    public void Dispose() => _key.Dispose();
}
