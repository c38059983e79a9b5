using System.Globalization;
using Strongroom.Kms.Domain;

namespace Strongroom.Kms.Storage;

/// <summary>Reads and writes whole sealed files (store or backup), with every check in one place.</summary>
internal static class SealedFile
{
    /// <summary>Far above any real store; refuses to read something absurd into memory.</summary>
    public const long MaxFileSize = 256L * 1024 * 1024;

    /// <summary>
    /// Opens <paramref name="path"/>: owner-only permissions, header parsed and its Argon2id minimums
    /// enforced before the (expensive) derivation, then authenticated decryption. Returns the derived
    /// key (for re-sealing) and the payload, which the caller disposes.
    /// </summary>
    public static (PassphraseSealing Sealing, SecretBuffer Payload) Open(string path, SealedFileKind kind, string passphraseFile)
    {
        var full = Path.GetFullPath(path);
        var what = kind == SealedFileKind.Store ? "kms store" : "kms backup";
        if (!File.Exists(full))
        {
            throw new SealedStoreException($"{what} {full} does not exist");
        }

        FilePermissions.RequireOwnerOnly(full, what);
        var length = new FileInfo(full).Length;
        if (length > MaxFileSize)
        {
            throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture, $"{what} {full} is larger than {MaxFileSize} bytes"));
        }

        var file = File.ReadAllBytes(full);
        var header = SealedFileFormat.ParseHeader(file, kind, $"{what} {full}");
        PassphraseSealing sealing;
        using (var passphrase = PassphraseFile.Read(passphraseFile))
        {
            sealing = PassphraseSealing.Derive(passphrase.Span, header.Argon2, header.Salt);
        }

        var payload = sealing.TryOpen(file, header);
        if (payload is null)
        {
            sealing.Dispose();
            throw new SealedStoreException($"wrong passphrase or corrupted {what}: {full} does not authenticate under the passphrase in {Path.GetFullPath(passphraseFile)}");
        }

        return (sealing, payload);
    }

    /// <summary>Seals <paramref name="payload"/> with a fresh nonce and replaces <paramref name="path"/> atomically (0600).</summary>
    public static void Write(string path, SealedFileKind kind, PassphraseSealing sealing, ReadOnlySpan<byte> payload) =>
        AtomicFile.Write(path, sealing.Seal(kind, payload));

    /// <summary>Derives a key with a fresh salt from the passphrase in <paramref name="passphraseFile"/>.</summary>
    public static PassphraseSealing DeriveNew(string passphraseFile, Argon2Settings settings)
    {
        using var passphrase = PassphraseFile.Read(passphraseFile);
        return PassphraseSealing.DeriveNew(passphrase.Span, settings);
    }
}
