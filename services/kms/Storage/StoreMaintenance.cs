using Strongroom.Crypto;
using Strongroom.Kms.Domain;

namespace Strongroom.Kms.Storage;

/// <summary>What a store or backup holds, for operator output (names and counts only).</summary>
public sealed record StoreSummary(int KeyRings, int CryptoKeys, int Versions, int DestroyedVersions);

/// <summary>
/// The operator commands, as plain functions run offline against the store file: create, re-seal
/// under a new passphrase, and an encrypted backup / restore. Restoring a backup brings back every
/// version the backup holds, including KEK versions destroyed since it was taken (docs/kms.md).
/// </summary>
public static class StoreMaintenance
{
    /// <summary>Creates an empty store; refuses to replace an existing one.</summary>
    public static StoreSummary Initialize(string storePath, string passphraseFile, Argon2Settings? settings = null)
    {
        using var state = new KmsState();
        using var store = SealedStore.Create(storePath, SealedFile.DeriveNew(passphraseFile, settings ?? Argon2Settings.Default), state, overwrite: false);
        return Summarize(state);
    }

    /// <summary>
    /// Passphrase rotation: opens with the old passphrase, re-seals under the new one (fresh salt;
    /// the current Argon2id cost unless <paramref name="settings"/> raises it) and proves the new file
    /// opens before returning.
    /// </summary>
    public static StoreSummary Reseal(string storePath, string passphraseFile, string newPassphraseFile, Argon2Settings? settings = null)
    {
        RequireDifferentPassphrases(passphraseFile, newPassphraseFile, "the new passphrase equals the current one");
        using var store = SealedStore.Open(storePath, passphraseFile, createIfMissing: false, out var state);
        using (state)
        {
            store.Reseal(SealedFile.DeriveNew(newPassphraseFile, settings ?? store.Argon2), state);
            return Summarize(state);
        }
    }

    /// <summary>
    /// Writes an encrypted backup (its own passphrase and salt, never the store's key) to
    /// <paramref name="backupPath"/>, created 0600; refuses to overwrite. Reads the store without its
    /// lock: store writes are atomic renames, so a running kms never exposes a half-written file.
    /// </summary>
    public static StoreSummary Backup(string storePath, string passphraseFile, string backupPath, string backupPassphraseFile, Argon2Settings? settings = null)
    {
        RequireDifferentPassphrases(passphraseFile, backupPassphraseFile, "the backup passphrase must differ from the store passphrase");
        if (File.Exists(backupPath))
        {
            throw new SealedStoreException($"backup {Path.GetFullPath(backupPath)} already exists; refusing to overwrite it");
        }

        var (sealing, payload) = SealedFile.Open(storePath, SealedFileKind.Store, passphraseFile);
        using (sealing)
        using (payload)
        {
            // Parse before writing, so a backup is never made of something that will not restore.
            using var state = StoreCodec.Deserialize(payload.Span);
            using var backupSealing = SealedFile.DeriveNew(backupPassphraseFile, settings ?? sealing.Settings);
            SealedFile.Write(backupPath, SealedFileKind.Backup, backupSealing, payload.Span);
            return Summarize(state);
        }
    }

    /// <summary>
    /// Restores a backup into a store sealed under <paramref name="passphraseFile"/> (fresh salt).
    /// Refuses to replace an existing store unless <paramref name="overwrite"/>; never while a kms holds it.
    /// </summary>
    public static StoreSummary Restore(string backupPath, string backupPassphraseFile, string storePath, string passphraseFile, bool overwrite, Argon2Settings? settings = null)
    {
        var (backupSealing, payload) = SealedFile.Open(backupPath, SealedFileKind.Backup, backupPassphraseFile);
        using (backupSealing)
        using (payload)
        {
            using var state = StoreCodec.Deserialize(payload.Span);
            using (SealedStore.Create(storePath, SealedFile.DeriveNew(passphraseFile, settings ?? backupSealing.Settings), state, overwrite))
            {
                return Summarize(state);
            }
        }
    }

    /// <summary>Opens a store and reports what it holds (verifies the passphrase too).</summary>
    public static StoreSummary Inspect(string storePath, string passphraseFile)
    {
        var (sealing, payload) = SealedFile.Open(storePath, SealedFileKind.Store, passphraseFile);
        using (sealing)
        using (payload)
        {
            using var state = StoreCodec.Deserialize(payload.Span);
            return Summarize(state);
        }
    }

    internal static StoreSummary Summarize(KmsState state)
    {
        var keys = state.Rings.Values.SelectMany(r => r.Keys.Values).ToList();
        var versions = keys.SelectMany(k => k.Versions).ToList();
        return new StoreSummary(state.Rings.Count, keys.Count, versions.Count, versions.Count(v => v.State == KeyVersionState.Destroyed));
    }

    private static void RequireDifferentPassphrases(string first, string second, string problem)
    {
        using var a = PassphraseFile.Read(first);
        using var b = PassphraseFile.Read(second);
        if (ConstantTime.AreEqual(a.Span, b.Span))
        {
            throw new SealedStoreException(problem);
        }
    }
}
