using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Strongroom.Core;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Storage;
using Strongroom.Kms.Tests.Support;
using Strongroom.Pki;

namespace Strongroom.Kms.Tests;

/// <summary>The operator commands as domain functions: passphrase rotation and encrypted backup/restore.</summary>
public sealed class StoreMaintenanceTests : IDisposable
{
    private static readonly byte[] Aad = "aad"u8.ToArray();
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Resealing_moves_the_store_to_the_new_passphrase_and_keeps_every_key()
    {
        var store = _scratch.PathOf("kms.store");
        var oldPass = _scratch.Passphrase("old", Scratch.NewPassphrase());
        var newPass = _scratch.Passphrase("new", Scratch.NewPassphrase());
        var (keyName, ciphertext, dek) = CreateKeyAndWrap(store, oldPass);
        var oldSalt = SealedFileFormat.ParseHeader(File.ReadAllBytes(store), SealedFileKind.Store, "store").Salt;

        var summary = StoreMaintenance.Reseal(store, oldPass, newPass);
        var oldRefused = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(store, oldPass));

        Assert.Equal(new StoreSummary(1, 1, 1, 0), summary);
        Assert.StartsWith("wrong passphrase", oldRefused.Message);
        Assert.NotEqual(oldSalt, SealedFileFormat.ParseHeader(File.ReadAllBytes(store), SealedFileKind.Store, "store").Salt);
        Assert.Equal(dek, Unwrap(store, newPass, keyName, ciphertext));
    }

    [Fact]
    public void Resealing_to_the_same_passphrase_is_refused()
    {
        var store = _scratch.PathOf("kms.store");
        var pass = Scratch.NewPassphrase();
        var file = _scratch.Passphrase("p", pass);
        StoreMaintenance.Initialize(store, file);

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Reseal(store, file, _scratch.Passphrase("same", pass)));

        Assert.Contains("equals the current one", ex.Message);
    }

    [Fact]
    public void A_backup_restores_into_a_new_store_under_its_own_passphrase()
    {
        var store = _scratch.PathOf("kms.store");
        var pass = _scratch.Passphrase("p", Scratch.NewPassphrase());
        var backupPass = _scratch.Passphrase("b", Scratch.NewPassphrase());
        var restoredPass = _scratch.Passphrase("r", Scratch.NewPassphrase());
        var backup = _scratch.PathOf("backup.bin");
        var restored = _scratch.PathOf("restored.store");
        var (keyName, ciphertext, dek) = CreateKeyAndWrap(store, pass);

        StoreMaintenance.Backup(store, pass, backup, backupPass);
        var wrongPassphrase = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Restore(backup, pass, restored, restoredPass, overwrite: false));
        var summary = StoreMaintenance.Restore(backup, backupPass, restored, restoredPass, overwrite: false);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(restored));
        Assert.StartsWith("wrong passphrase or corrupted kms backup", wrongPassphrase.Message);
        Assert.Equal(new StoreSummary(1, 1, 1, 0), summary);
        Assert.Equal(dek, Unwrap(restored, restoredPass, keyName, ciphertext));
    }

    [Fact]
    public void Restoring_an_old_backup_resurrects_a_kek_version_destroyed_since()
    {
        // Documented in docs/kms.md: a backup is a copy of the KEKs as they were; destruction after it
        // does not reach it. This test pins the behaviour so the docs stay true.
        var store = _scratch.PathOf("kms.store");
        var pass = _scratch.Passphrase("p", Scratch.NewPassphrase());
        var backupPass = _scratch.Passphrase("b", Scratch.NewPassphrase());
        var backup = _scratch.PathOf("backup.bin");
        var (keyName, ciphertext, dek) = CreateKeyAndWrap(store, pass, TimeSpan.Zero);
        StoreMaintenance.Backup(store, pass, backup, backupPass);

        using (var manager = Open(store, pass))
        {
            manager.Admin.DestroyCryptoKeyVersion(WorkloadIdentity.KeyService, keyName + "/cryptoKeyVersions/1");
            var destroyed = Assert.Throws<StrongroomException>(() => manager.Crypto.Decrypt(WorkloadIdentity.KeyService, keyName, ciphertext, Aad, null, null));
            Assert.Equal(ErrorKind.FailedPrecondition, destroyed.Kind);
        }

        Assert.Equal(1, StoreMaintenance.Inspect(store, pass).DestroyedVersions);
        var overwrite = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Restore(backup, backupPass, store, pass, overwrite: false));
        StoreMaintenance.Restore(backup, backupPass, store, pass, overwrite: true);

        Assert.Contains("already exists", overwrite.Message);
        Assert.Equal(dek, Unwrap(store, pass, keyName, ciphertext));
    }

    [Fact]
    public void A_backup_never_overwrites_a_file_and_needs_a_passphrase_different_from_the_store()
    {
        var store = _scratch.PathOf("kms.store");
        var pass = Scratch.NewPassphrase();
        var passFile = _scratch.Passphrase("p", pass);
        StoreMaintenance.Initialize(store, passFile);
        var existing = _scratch.PathOf("existing.bin");
        File.WriteAllText(existing, "keep me");

        var same = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Backup(store, passFile, _scratch.PathOf("b.bin"), _scratch.Passphrase("same", pass)));
        var exists = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Backup(store, passFile, existing, _scratch.Passphrase("b", Scratch.NewPassphrase())));

        Assert.Contains("must differ", same.Message);
        Assert.Contains("already exists", exists.Message);
        Assert.Equal("keep me", File.ReadAllText(existing));
    }

    [Fact]
    public void A_store_held_by_a_running_kms_cannot_be_resealed_or_restored_over()
    {
        var store = _scratch.PathOf("kms.store");
        var pass = _scratch.Passphrase("p", Scratch.NewPassphrase());
        using var running = SealedStore.Open(store, pass, createIfMissing: true, out var state);
        using (state)
        {
            var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Reseal(store, pass, _scratch.Passphrase("n", Scratch.NewPassphrase())));

            Assert.Contains("in use by another kms process", ex.Message);
        }
    }

    private (string KeyName, byte[] Ciphertext, byte[] Dek) CreateKeyAndWrap(string store, string passphraseFile, TimeSpan? grace = null)
    {
        using var manager = Open(store, passphraseFile, createIfMissing: true);
        manager.Admin.CreateKeyRing(WorkloadIdentity.KeyService, "projects/p/locations/l", "keyservice");
        var key = manager.Admin.CreateCryptoKey(WorkloadIdentity.KeyService, "projects/p/locations/l/keyRings/keyservice", "app-key",
            new CryptoKeySpec(grace ?? TimeSpan.FromDays(1), new Dictionary<string, string>(), false));
        var dek = RandomNumberGenerator.GetBytes(32);
        return (key.Name, manager.Crypto.Encrypt(WorkloadIdentity.KeyService, key.Name, dek, Aad, null, null).Ciphertext, dek);
    }

    private static byte[] Unwrap(string store, string passphraseFile, string keyName, byte[] ciphertext)
    {
        using var manager = Open(store, passphraseFile);
        return manager.Crypto.Decrypt(WorkloadIdentity.KeyService, keyName, ciphertext, Aad, null, null).Plaintext;
    }

    private static KeyManager Open(string store, string passphraseFile, bool createIfMissing = false)
    {
        var sealedStore = SealedStore.Open(store, passphraseFile, createIfMissing, out var state);
        return new KeyManager(state, sealedStore, new KeyManagerSettings { AllowZeroDestroyGrace = true }, TimeProvider.System, new PlaintextSizeRecorder(), NullLogger<KeyManager>.Instance);
    }
}
