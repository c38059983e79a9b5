using Strongroom.Kms.Domain;

namespace Strongroom.Kms.Storage;

/// <summary>Persists the kms state; the domain sees only this.</summary>
internal interface IKmsStatePersistence
{
    /// <summary>Durably replaces the stored state; throws <see cref="IOException"/> when it could not.</summary>
    void Save(KmsState state);
}

/// <summary>
/// The kms store file, opened once at start: the passphrase-derived key stays in memory (non-
/// exportable) so every change is re-sealed without the passphrase. An exclusive lock file keeps a
/// second kms or an operator command from writing the same store concurrently.
/// </summary>
internal sealed class SealedStore : IKmsStatePersistence, IDisposable
{
    private PassphraseSealing _sealing;
    private readonly FileStream _lock;

    private SealedStore(string path, PassphraseSealing sealing, FileStream lockFile)
    {
        Path = path;
        _sealing = sealing;
        _lock = lockFile;
    }

    public string Path { get; }

    public Argon2Settings Argon2 => _sealing.Settings;

    /// <summary>Opens the store (or, when allowed and missing, creates an empty one) and loads its state.</summary>
    public static SealedStore Open(string path, string passphraseFile, bool createIfMissing, out KmsState state)
    {
        var full = System.IO.Path.GetFullPath(path);
        var lockFile = AcquireLock(full);
        try
        {
            if (!File.Exists(full) && createIfMissing)
            {
                var created = new SealedStore(full, SealedFile.DeriveNew(passphraseFile, Argon2Settings.Default), lockFile);
                state = new KmsState();
                created.Save(state);
                return created;
            }

            var (sealing, payload) = SealedFile.Open(full, SealedFileKind.Store, passphraseFile);
            using (payload)
            {
                try
                {
                    state = StoreCodec.Deserialize(payload.Span);
                }
                catch
                {
                    sealing.Dispose();
                    throw;
                }
            }

            return new SealedStore(full, sealing, lockFile);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a store sealed with <paramref name="sealing"/> (which it owns from here on, also on
    /// failure); refuses to replace an existing one unless <paramref name="overwrite"/>.
    /// </summary>
    public static SealedStore Create(string path, PassphraseSealing sealing, KmsState state, bool overwrite)
    {
        var full = System.IO.Path.GetFullPath(path);
        FileStream lockFile;
        try
        {
            lockFile = AcquireLock(full);
        }
        catch
        {
            sealing.Dispose();
            throw;
        }

        try
        {
            if (File.Exists(full) && !overwrite)
            {
                throw new SealedStoreException($"kms store {full} already exists; refusing to overwrite it");
            }

            var store = new SealedStore(full, sealing, lockFile);
            store.Save(state);
            return store;
        }
        catch
        {
            sealing.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    public void Save(KmsState state)
    {
        using var payload = StoreCodec.Serialize(state);
        SealedFile.Write(Path, SealedFileKind.Store, _sealing, payload.Span);
    }

    /// <summary>
    /// Re-seals under another key (passphrase rotation) and uses it from then on. The old key is
    /// disposed only once the new file is durable, so a failed write leaves the old passphrase valid.
    /// </summary>
    public void Reseal(PassphraseSealing newSealing, KmsState state)
    {
        using var payload = StoreCodec.Serialize(state);
        SealedFile.Write(Path, SealedFileKind.Store, newSealing, payload.Span);
        var old = _sealing;
        _sealing = newSealing;
        old.Dispose();
    }

    public void Dispose()
    {
        _sealing.Dispose();
        _lock.Dispose();
    }

    private static FileStream AcquireLock(string storePath)
    {
        var lockPath = storePath + ".lock";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(lockPath)!);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FilePermissions.OwnerReadWrite;
        }

        try
        {
            return new FileStream(lockPath, options);
        }
        catch (IOException)
        {
            throw new SealedStoreException($"kms store {storePath} is in use by another kms process or operator command (lock {lockPath})");
        }
    }
}
