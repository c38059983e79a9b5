using Strongroom.Kms.Tests.Support;
using Strongroom.KmsClient;

namespace Strongroom.Kms.Tests;

/// <summary>Enable/disable, scheduled destruction and restore, with Cloud KMS's states and errors.</summary>
public sealed class VersionLifecycleTests(KmsFixture kms) : IClassFixture<KmsFixture>
{
    private static readonly byte[] Aad = "aad"u8.ToArray();

    [Fact]
    public async Task A_disabled_version_refuses_encrypt_and_decrypt_until_enabled_again()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var dek = new byte[32];
        var wrapped = await kms.KeyService.EncryptAsync(keyId, dek, Aad);

        var disabled = await kms.KeyService.DisableVersionAsync(keyId, 1);
        var decrypt = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, Aad));
        var encrypt = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.EncryptAsync(keyId, dek, Aad));
        await kms.KeyService.EnableVersionAsync(keyId, 1);

        Assert.Equal(KmsVersionState.Disabled, disabled.State);
        Assert.Equal(KmsErrorKind.FailedPrecondition, decrypt.Kind);
        Assert.Contains("DISABLED", decrypt.Message);
        Assert.Equal(KmsErrorKind.FailedPrecondition, encrypt.Kind);
        Assert.Equal(dek, await kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, Aad));
    }

    [Fact]
    public async Task A_version_destroyed_with_zero_grace_never_decrypts_again_and_cannot_be_restored()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.Zero);
        await kms.KeyService.SetPrimaryAsync(keyId, await kms.KeyService.CreateVersionAsync(keyId));
        var wrapped = await kms.KeyService.EncryptAsync(keyId, 1, new byte[32], Aad);

        var scheduled = await kms.KeyService.ScheduleDestroyAsync(keyId, 1);
        var state = await kms.KeyService.GetVersionStateAsync(keyId, 1);
        var decrypt = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, Aad));
        var enable = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.EnableVersionAsync(keyId, 1));
        var restore = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.RestoreAsync(keyId, 1));

        Assert.NotNull(scheduled.DestroyTime);
        Assert.Equal(KmsVersionState.Destroyed, state.State);
        Assert.NotNull(state.DestroyEventTime);
        Assert.Equal(KmsErrorKind.FailedPrecondition, decrypt.Kind);
        Assert.Contains("DESTROYED", decrypt.Message);
        Assert.Equal(KmsErrorKind.FailedPrecondition, enable.Kind);
        Assert.Equal(KmsErrorKind.FailedPrecondition, restore.Kind);
    }

    [Fact]
    public async Task Destruction_is_scheduled_with_the_grace_and_restore_before_it_brings_the_version_back_disabled()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        await kms.KeyService.SetPrimaryAsync(keyId, await kms.KeyService.CreateVersionAsync(keyId));
        var dek = new byte[32];
        var wrapped = await kms.KeyService.EncryptAsync(keyId, 1, dek, Aad);
        var before = DateTimeOffset.UtcNow;

        var scheduled = await kms.KeyService.ScheduleDestroyAsync(keyId, 1);
        var refused = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, Aad));
        var restored = await kms.KeyService.RestoreAsync(keyId, 1);
        await kms.KeyService.EnableVersionAsync(keyId, 1);

        Assert.Equal(KmsVersionState.DestroyScheduled, scheduled.State);
        Assert.InRange(scheduled.DestroyTime!.Value, before.AddDays(1).AddSeconds(-5), before.AddDays(1).AddMinutes(1));
        Assert.Equal(KmsErrorKind.FailedPrecondition, refused.Kind);
        Assert.Equal(KmsVersionState.Disabled, restored.State);
        Assert.Null(restored.DestroyTime);
        Assert.Equal(dek, await kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, Aad));
    }

    [Fact]
    public async Task Only_an_enabled_version_can_become_primary()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var second = await kms.KeyService.CreateVersionAsync(keyId);
        await kms.KeyService.DisableVersionAsync(keyId, second);

        var ex = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.SetPrimaryAsync(keyId, second));

        Assert.Equal(KmsErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal(1, (await kms.KeyService.GetCryptoKeyAsync(keyId)).PrimaryVersion);
    }

    [Fact]
    public async Task A_key_created_without_an_initial_version_gets_its_first_version_as_primary()
    {
        var keyId = KmsFixture.NewKeyId();

        var primary = await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1), skipInitialVersion: true);
        var encrypt = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.EncryptAsync(keyId, new byte[32], Aad));
        var first = await kms.KeyService.CreateVersionAsync(keyId);

        Assert.Equal(0, primary);
        Assert.Equal(KmsErrorKind.FailedPrecondition, encrypt.Kind);
        Assert.Equal(1, first);
        Assert.Equal(1, (await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad)).Version);
    }

    [Fact]
    public async Task Creating_an_existing_key_is_already_exists_and_an_unknown_one_is_not_found()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));

        var again = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1)));
        var missing = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.GetVersionStateAsync(KmsFixture.NewKeyId(), 1));
        var missingVersion = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.GetVersionStateAsync(keyId, 7));

        Assert.Equal(KmsErrorKind.AlreadyExists, again.Kind);
        Assert.Equal(KmsErrorKind.NotFound, missing.Kind);
        Assert.Equal(KmsErrorKind.NotFound, missingVersion.Kind);
    }

    [Fact]
    public async Task Listing_versions_pages_through_every_version_in_order()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        for (var i = 0; i < 4; i++)
        {
            await kms.KeyService.CreateVersionAsync(keyId);
        }

        var raw = kms.Server.Raw(Pki.WorkloadIdentity.KeyService);
        var first = await raw.ListCryptoKeyVersionsAsync(new Google.Cloud.Kms.V1.ListCryptoKeyVersionsRequest { Parent = kms.KeyService.CryptoKeyName(keyId), PageSize = 2 });
        var second = await raw.ListCryptoKeyVersionsAsync(new Google.Cloud.Kms.V1.ListCryptoKeyVersionsRequest { Parent = kms.KeyService.CryptoKeyName(keyId), PageSize = 2, PageToken = first.NextPageToken });
        var all = await kms.KeyService.ListVersionsAsync(keyId);

        Assert.Equal(5, first.TotalSize);
        Assert.Equal([1, 2], first.CryptoKeyVersions.Select(v => int.Parse(v.Name.Split('/')[^1])));
        Assert.Equal([3, 4], second.CryptoKeyVersions.Select(v => int.Parse(v.Name.Split('/')[^1])));
        Assert.Equal([1, 2, 3, 4, 5], all.Select(v => v.Version));
    }
}
