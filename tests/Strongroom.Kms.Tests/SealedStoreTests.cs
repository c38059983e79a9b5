using System.Buffers.Binary;
using System.Text;
using Strongroom.Kms.Storage;
using Strongroom.Kms.Tests.Support;

namespace Strongroom.Kms.Tests;

/// <summary>
/// The sealed store file: Argon2id parameters in the header, bound as AAD, minimums enforced by the
/// parser before any derivation; wrong passphrase refused; owner-only permissions; no passphrase inside.
/// </summary>
public sealed class SealedStoreTests : IClassFixture<SealedStoreTests.Template>, IDisposable
{
    private readonly Scratch _scratch = new();
    private readonly string _passphrase;
    private readonly string _passphraseFile;
    private readonly string _store;

    public SealedStoreTests(Template template)
    {
        // Each test edits its own copy of one store made per class (one derivation instead of one per test).
        _passphrase = template.Passphrase;
        _passphraseFile = _scratch.Passphrase("passphrase", _passphrase);
        _store = _scratch.PathOf("kms.store");
        File.Copy(template.Store, _store);
    }

    public void Dispose() => _scratch.Dispose();

    /// <summary>An empty store sealed once for the whole class.</summary>
    public sealed class Template : IDisposable
    {
        private readonly Scratch _scratch = new();

        public Template()
        {
            Store = _scratch.PathOf("template.store");
            StoreMaintenance.Initialize(Store, _scratch.Passphrase("passphrase", Passphrase));
        }

        public string Passphrase { get; } = Scratch.NewPassphrase();

        public string Store { get; }

        public void Dispose() => _scratch.Dispose();
    }

    [Fact]
    public void A_new_store_carries_the_minimum_argon2id_cost_in_its_header_and_is_0600()
    {
        var header = SealedFileFormat.ParseHeader(File.ReadAllBytes(_store), SealedFileKind.Store, "store");

        Assert.Equal(256u * 1024, header.Argon2.MemoryKiB);
        Assert.Equal(3u, header.Argon2.Iterations);
        Assert.Equal(1u, header.Argon2.Parallelism);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_store));
    }

    [Fact]
    public void A_wrong_passphrase_is_refused_with_a_clear_message()
    {
        var wrong = _scratch.Passphrase("wrong", Scratch.NewPassphrase());

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, wrong));

        Assert.StartsWith("wrong passphrase or corrupted kms store", ex.Message);
    }

    [Theory]
    [InlineData(SealedFileFormat.MemoryOffset, 64u * 1024, "memory 65536 KiB is below the minimum")]
    [InlineData(SealedFileFormat.MemoryOffset, (256u * 1024) - 1, "memory 262143 KiB is below the minimum")]
    [InlineData(SealedFileFormat.IterationsOffset, 1u, "iterations 1 is below the minimum 3")]
    [InlineData(SealedFileFormat.IterationsOffset, 2u, "iterations 2 is below the minimum 3")]
    public void A_header_weakened_below_the_minimums_is_refused_before_any_derivation(int offset, uint value, string expected)
    {
        var file = File.ReadAllBytes(_store);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(offset), value);
        File.WriteAllBytes(_store, file);

        // The passphrase file does not even exist: the refusal comes from the header alone, so no
        // passphrase was read and no key derived from the weakened parameters.
        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _scratch.PathOf("never-read")));
        var withPassphrase = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _passphraseFile));

        Assert.Contains(expected, ex.Message);
        Assert.Contains("refusing a weakened key derivation", ex.Message);
        Assert.Equal(ex.Message, withPassphrase.Message);
    }

    [Fact]
    public void A_header_edited_upwards_fails_authentication_because_the_header_is_the_aad()
    {
        var file = File.ReadAllBytes(_store);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(SealedFileFormat.IterationsOffset), 4);
        File.WriteAllBytes(_store, file);

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _passphraseFile));

        Assert.StartsWith("wrong passphrase or corrupted kms store", ex.Message);
    }

    [Fact]
    public void A_header_whose_nonce_or_ciphertext_was_edited_fails_authentication()
    {
        var original = File.ReadAllBytes(_store);
        foreach (var offset in new[] { SealedFileFormat.NonceOffset, SealedFileFormat.HeaderSize + 1, original.Length - 1 })
        {
            var edited = (byte[])original.Clone();
            edited[offset] ^= 0x01;
            File.WriteAllBytes(_store, edited);

            var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _passphraseFile));

            Assert.StartsWith("wrong passphrase or corrupted kms store", ex.Message);
        }
    }

    [Fact]
    public void A_parallelism_other_than_one_or_an_absurd_memory_cost_is_refused()
    {
        var file = File.ReadAllBytes(_store);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(SealedFileFormat.ParallelismOffset), 4);
        File.WriteAllBytes(_store, file);
        var parallel = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _passphraseFile));

        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(SealedFileFormat.ParallelismOffset), 1);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(SealedFileFormat.MemoryOffset), uint.MaxValue);
        File.WriteAllBytes(_store, file);
        var huge = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _passphraseFile));

        Assert.Contains("parallelism 4 is not supported", parallel.Message);
        Assert.Contains("exceeds the supported maximum", huge.Message);
    }

    [Fact]
    public void A_backup_file_is_not_accepted_as_a_store()
    {
        var backup = _scratch.PathOf("backup.bin");
        StoreMaintenance.Backup(_store, _passphraseFile, backup, _scratch.Passphrase("backup-pass", Scratch.NewPassphrase()));

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(backup, _passphraseFile));

        Assert.Contains("is a kms backup, not a store", ex.Message);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    public void A_passphrase_file_readable_by_group_or_others_is_refused(UnixFileMode mode)
    {
        File.SetUnixFileMode(_passphraseFile, mode);

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _passphraseFile));

        Assert.Contains("is accessible by group or others", ex.Message);
        Assert.Contains("passphrase file", ex.Message);
    }

    [Fact]
    public void A_store_file_readable_by_others_is_refused()
    {
        File.SetUnixFileMode(_store, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Inspect(_store, _passphraseFile));

        Assert.Contains("kms store", ex.Message);
        Assert.Contains("accessible by group or others", ex.Message);
    }

    [Fact]
    public void A_passphrase_shorter_than_16_bytes_is_refused()
    {
        var weak = _scratch.Passphrase("short", "too-short");

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Initialize(_scratch.PathOf("other.store"), weak));

        Assert.Contains("shorter than 16 bytes", ex.Message);
    }

    [Fact]
    public void The_passphrase_appears_nowhere_in_the_store_file()
    {
        var bytes = File.ReadAllBytes(_store);

        Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(_passphrase)) < 0);
        Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(_passphrase)) < 0);
    }

    [Fact]
    public void An_existing_store_is_never_overwritten_by_init()
    {
        var before = File.ReadAllBytes(_store);

        var ex = Assert.Throws<SealedStoreException>(() => StoreMaintenance.Initialize(_store, _passphraseFile));

        Assert.Contains("already exists", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(_store));
    }
}
