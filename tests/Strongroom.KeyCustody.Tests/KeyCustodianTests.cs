using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyCustody.Kinds;
using Strongroom.Testing;

namespace Strongroom.KeyCustody.Tests;

/// <summary>Lifecycle, wrapping and crypto-shredding of application keys on a real SQLite store.</summary>
public sealed class KeyCustodianTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "strongroom-custody-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryKek _kek = new();
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private readonly SqliteKeyStore _store;
    private readonly KeyCustodian _custodian;

    public KeyCustodianTests()
    {
        _store = SqliteKeyStore.Open(Path.Combine(_dir, "keys.db"));
        _custodian = NewCustodian(_store);
    }

    private KeyCustodian NewCustodian(IKeyStore store) => new(
        store, _kek, [new X25519Kind(), new Ed25519Kind()],
        new KeyCustodyOptions { AllowZeroDestroyGrace = true, StateRecheckInterval = TimeSpan.FromSeconds(30) },
        "keyservice", _clock);

    public void Dispose()
    {
        _custodian.Dispose();
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static byte[] Agree(KeyLease lease, X25519PublicKey peer) => lease.Handle<X25519KeyPair>().Agree(peer);

    [Fact]
    public async Task A_new_key_has_version_one_as_primary_and_each_rotation_adds_the_next()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        var v2 = await _custodian.RotateAsync("hpke", default);

        var key = await _custodian.GetKeyAsync("hpke", default);
        Assert.Equal(2, v2.Version);
        Assert.Equal(2, key.PrimaryVersion);
        Assert.Equal(TimeSpan.FromDays(90), key.RotationPeriod);
        Assert.Equal([1, 2], (await _custodian.ListVersionsAsync("hpke", default)).Select(v => v.KmsVersion));
    }

    [Fact]
    public async Task Data_sealed_to_version_one_still_opens_after_rotation()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        var v1 = await _custodian.GetVersionAsync("hpke", null, default);
        using var peer = X25519KeyPair.Generate();
        var expected = peer.Agree(X25519PublicKey.Import(v1.PublicKey));

        await _custodian.RotateAsync("hpke", default);
        using var lease = await _custodian.AcquireAsync("hpke", 1, default);

        Assert.Equal(expected, Agree(lease, peer.PublicKey));
    }

    [Fact]
    public async Task The_kms_only_ever_receives_32_byte_data_keys()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        await _custodian.RotateAsync("hpke", default);
        await _custodian.CreateKeyAsync("sign", Ed25519Kind.KindName, null, null, default);

        Assert.Equal(3, _kek.EncryptedPlaintextSizes.Count);
        Assert.All(_kek.EncryptedPlaintextSizes, size => Assert.Equal(32, size));
    }

    [Fact]
    public async Task A_version_is_unwrapped_once_per_process_not_per_use()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);

        for (var i = 0; i < 100; i++)
        {
            using var lease = await _custodian.AcquireAsync("hpke", null, default);
        }

        Assert.Equal(1, _kek.DecryptCalls);
        Assert.Equal(1, _custodian.KmsDecryptCalls);
    }

    [Fact]
    public async Task A_disabled_version_refuses_use_until_enabled_again()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        await _custodian.RotateAsync("hpke", default);
        using (await _custodian.AcquireAsync("hpke", 1, default))
        {
        }

        await _custodian.DisableVersionAsync("hpke", 1, default);
        var ex = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.AcquireAsync("hpke", 1, default));
        Assert.Equal(ErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal("DISABLED", _kek.StateOf("hpke", 1));

        await _custodian.EnableVersionAsync("hpke", 1, default);
        using var lease = await _custodian.AcquireAsync("hpke", 1, default);
        Assert.Equal(1, lease.Version.Version);
    }

    [Fact]
    public async Task A_disable_on_another_replica_takes_effect_here_within_the_recheck_interval()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        await _custodian.RotateAsync("hpke", default);
        using (await _custodian.AcquireAsync("hpke", 1, default))
        {
        }

        using var replica = NewCustodian(_store);
        await replica.DisableVersionAsync("hpke", 1, default);
        using (await _custodian.AcquireAsync("hpke", 1, default))
        {
            // Still cached: the documented bound has not elapsed.
        }

        _clock.Advance(TimeSpan.FromSeconds(31));
        var ex = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.AcquireAsync("hpke", 1, default));
        Assert.Contains("disabled", ex.Message);
    }

    [Fact]
    public async Task A_rotation_made_here_signs_with_the_new_primary_at_once()
    {
        await _custodian.CreateKeyAsync("sign", Ed25519Kind.KindName, null, null, default);
        using (var first = await _custodian.AcquireAsync("sign", null, default))
        {
            Assert.Equal(1, first.Version.Version);
        }

        await _custodian.RotateAsync("sign", default);

        using var lease = await _custodian.AcquireAsync("sign", null, default);
        Assert.Equal(2, lease.Version.Version);
    }

    [Fact]
    public async Task A_rotation_or_minimum_change_on_another_replica_takes_effect_here_within_the_recheck_interval()
    {
        await _custodian.CreateKeyAsync("sign", Ed25519Kind.KindName, null, null, default);
        using (await _custodian.AcquireAsync("sign", null, default))
        {
        }

        using var replica = NewCustodian(_store);
        await replica.RotateAsync("sign", default);
        await replica.SetMinimumVersionAsync("sign", 2, default);
        using (var cached = await _custodian.AcquireAsync("sign", null, default))
        {
            // The key row is re-read at most every StateRecheckInterval (30 s here), like the versions.
            Assert.Equal(1, cached.Version.Version);
        }

        _clock.Advance(TimeSpan.FromSeconds(31));
        using (var lease = await _custodian.AcquireAsync("sign", null, default))
        {
            Assert.Equal(2, lease.Version.Version);
        }

        var ex = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.AcquireAsync("sign", 1, default));
        Assert.Contains("below the minimum version 2", ex.Message);
    }

    [Fact]
    public async Task Acquiring_a_cached_key_reads_nothing_from_the_store()
    {
        var counting = new CountingStore(_store);
        using var custodian = NewCustodian(counting);
        await custodian.CreateKeyAsync("sign", Ed25519Kind.KindName, null, null, default);
        using (await custodian.AcquireAsync("sign", null, default))
        {
        }

        var reads = counting.Reads;
        for (var i = 0; i < 100; i++)
        {
            using var lease = await custodian.AcquireAsync("sign", null, default);
        }

        Assert.Equal(reads, counting.Reads);
        _clock.Advance(TimeSpan.FromSeconds(31));
        using (await custodian.AcquireAsync("sign", null, default))
        {
        }

        Assert.True(counting.Reads > reads, "after the recheck interval the key row and version are read again");
    }

    [Fact]
    public async Task A_version_below_the_minimum_is_refused()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        await _custodian.RotateAsync("hpke", default);

        await _custodian.SetMinimumVersionAsync("hpke", 2, default);

        var ex = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.AcquireAsync("hpke", 1, default));
        Assert.Contains("below the minimum version 2", ex.Message);
        Assert.Single(await _custodian.AcquireAllUsableAsync("hpke", default));
    }

    [Fact]
    public async Task A_scheduled_destroy_can_be_restored_within_the_grace_and_comes_back_disabled()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, TimeSpan.FromHours(1), default);
        await _custodian.RotateAsync("hpke", default);

        var scheduled = await _custodian.ScheduleDestroyVersionAsync("hpke", 1, default);
        var restored = await _custodian.RestoreVersionAsync("hpke", 1, default);

        Assert.Equal(KeyVersionState.DestroyScheduled, scheduled.State);
        Assert.Equal(KeyVersionState.Disabled, restored.State);
        Assert.NotNull(await _store.GetMaterialAsync("hpke", 1, default));
    }

    [Fact]
    public async Task A_scheduled_destroy_happens_when_the_grace_elapses()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, TimeSpan.FromHours(1), default);
        await _custodian.RotateAsync("hpke", default);
        await _custodian.ScheduleDestroyVersionAsync("hpke", 1, default);

        Assert.Equal(0, await _custodian.DestroyDueAsync(default));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await _custodian.DestroyDueAsync(default));

        Assert.Equal(KeyVersionState.Destroyed, (await _custodian.GetVersionAsync("hpke", 1, default)).State);
        Assert.Null(await _store.GetMaterialAsync("hpke", 1, default));
    }

    [Fact]
    public async Task Destroying_a_version_erases_every_trace_of_its_material_from_the_database_wal_and_shm()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, TimeSpan.Zero, default);
        var material = (await _store.GetMaterialAsync("hpke", 1, default))!;
        await _custodian.RotateAsync("hpke", default);

        var destroyed = await _custodian.ScheduleDestroyVersionAsync("hpke", 1, default);

        Assert.Equal(KeyVersionState.Destroyed, destroyed.State);
        Assert.Equal("DESTROYED", _kek.StateOf("hpke", 1));
        var files = new[] { _store.Path, _store.Path + "-wal", _store.Path + "-shm" }.Where(File.Exists).ToList();
        Assert.Contains(_store.Path, files);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(Contains(bytes, material.SealedKey), file + " still holds the sealed key");
            Assert.False(Contains(bytes, material.WrappedDek), file + " still holds the wrapped DEK");
            Assert.False(Contains(bytes, material.SealedKey.AsSpan(1, 12).ToArray()), file + " still holds the sealed key's nonce");
        }

        var ex = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.AcquireAsync("hpke", 1, default));
        Assert.Contains("destroyed", ex.Message);
        using var v2 = await _custodian.AcquireAsync("hpke", 2, default);
    }

    [Fact]
    public async Task The_primary_version_cannot_be_disabled_destroyed_or_revoked()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, TimeSpan.Zero, default);

        foreach (var act in new Func<Task>[]
        {
            () => _custodian.DisableVersionAsync("hpke", 1, default),
            () => _custodian.ScheduleDestroyVersionAsync("hpke", 1, default),
            () => _custodian.RevokeVersionAsync("hpke", 1, default),
        })
        {
            var ex = await Assert.ThrowsAsync<StrongroomException>(act);
            Assert.Contains("rotate first", ex.Message);
        }

        using var lease = await _custodian.AcquireAsync("hpke", 1, default);
    }

    [Fact]
    public async Task A_revoked_version_is_disabled_and_cannot_be_enabled_again()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        await _custodian.RotateAsync("hpke", default);

        var revoked = await _custodian.RevokeVersionAsync("hpke", 1, default);
        var ex = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.EnableVersionAsync("hpke", 1, default));

        Assert.True(revoked.Revoked);
        Assert.Equal(KeyVersionState.Disabled, revoked.State);
        Assert.Contains("revoked", ex.Message);
    }

    [Fact]
    public async Task A_key_created_without_a_version_waits_for_an_import_and_never_auto_rotates_before()
    {
        var key = await _custodian.CreateKeyAsync("studioml", X25519Kind.KindName, TimeSpan.FromDays(1), null, default, skipInitialVersion: true);
        _clock.Advance(TimeSpan.FromDays(2));

        Assert.Equal(0, key.PrimaryVersion);
        Assert.Equal(0, await _custodian.RotateDueAsync(default));
        Assert.Empty(await _custodian.ListVersionsAsync("studioml", default));
    }

    [Fact]
    public async Task A_zero_rotation_period_means_rotate_on_demand_only()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, TimeSpan.Zero, null, default);
        _clock.Advance(TimeSpan.FromDays(3650));

        Assert.Equal(0, await _custodian.RotateDueAsync(default));
        Assert.Equal(0, (await _custodian.GetKeyAsync("hpke", default)).NextRotationAt);
    }

    [Fact]
    public async Task An_imported_private_key_becomes_the_primary_version()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);
        using var imported = X25519KeyPair.Generate(exportable: true);
        var privateKey = imported.ExportPrivateKey();

        var v = await _custodian.ImportVersionAsync("hpke", privateKey, default);

        Assert.Equal(2, v.Version);
        Assert.True(v.Imported);
        Assert.Equal(imported.PublicKey.Export(), v.PublicKey);
        using var peer = X25519KeyPair.Generate();
        using var lease = await _custodian.AcquireAsync("hpke", 2, default);
        Assert.Equal(peer.Agree(imported.PublicKey), Agree(lease, peer.PublicKey));
    }

    [Fact]
    public async Task Keys_rotate_when_their_period_elapses()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, TimeSpan.FromDays(1), null, default);

        Assert.Equal(0, await _custodian.RotateDueAsync(default));
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await _custodian.RotateDueAsync(default));

        Assert.Equal(2, (await _custodian.GetKeyAsync("hpke", default)).PrimaryVersion);
    }

    [Theory]
    [InlineData("")]
    [InlineData("UPPER")]
    [InlineData("-lead")]
    [InlineData("a/b")]
    [InlineData("x-123456789-123456789-123456789-123456789-123456789-123456789-1234")]
    public async Task Malformed_key_names_are_invalid_arguments(string name)
    {
        var ex = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.CreateKeyAsync(name, X25519Kind.KindName, null, null, default));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public async Task Creating_an_existing_key_is_already_exists_and_unknown_keys_are_not_found()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);

        var exists = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default));
        var missing = await Assert.ThrowsAsync<StrongroomException>(() => _custodian.AcquireAsync("nope", null, default));

        Assert.Equal(ErrorKind.AlreadyExists, exists.Kind);
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
    }

    [Fact]
    public async Task A_zero_destroy_grace_is_refused_outside_development()
    {
        using var production = new KeyCustodian(_store, _kek, [new X25519Kind()], new KeyCustodyOptions(), "keyservice", _clock);

        var ex = await Assert.ThrowsAsync<StrongroomException>(() => production.CreateKeyAsync("k", X25519Kind.KindName, null, TimeSpan.Zero, default));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public async Task The_store_file_is_owner_only()
    {
        await _custodian.CreateKeyAsync("hpke", X25519Kind.KindName, null, null, default);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_store.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_store.Path + "-wal"));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
