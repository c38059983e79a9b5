using System.Security.Cryptography;
using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Kms.Tests.Support;
using Strongroom.KmsClient;
using Strongroom.Pki;

namespace Strongroom.Kms.Tests;

/// <summary>Encrypt and Decrypt through the real client over mTLS: round trips, AAD, limits, the size metric.</summary>
public sealed class EncryptDecryptTests(KmsFixture kms) : IClassFixture<KmsFixture>
{
    private static readonly byte[] Aad = "keyservice/runner-rsa/v1"u8.ToArray();

    [Fact]
    public async Task A_dek_encrypted_by_the_primary_decrypts_to_the_same_bytes()
    {
        var keyId = KmsFixture.NewKeyId();
        var first = await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var dek = RandomNumberGenerator.GetBytes(32);

        var wrapped = await kms.KeyService.EncryptAsync(keyId, dek, Aad);
        var unwrapped = await kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, Aad);

        Assert.Equal(1, first);
        Assert.Equal(1, wrapped.Version);
        Assert.Equal(kms.KeyService.VersionName(keyId, 1), wrapped.VersionName);
        Assert.Equal(dek, unwrapped);
        Assert.False(wrapped.Ciphertext.AsSpan().IndexOf(dek) >= 0);
    }

    [Fact]
    public async Task Decrypting_with_a_different_aad_fails_with_invalid_argument()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var wrapped = await kms.KeyService.EncryptAsync(keyId, RandomNumberGenerator.GetBytes(32), Aad);

        var ex = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, "keyservice/runner-rsa/v2"u8.ToArray()));

        Assert.Equal(KmsErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public async Task A_ciphertext_from_one_key_does_not_decrypt_under_another()
    {
        var a = KmsFixture.NewKeyId();
        var b = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(a, TimeSpan.FromDays(1));
        await kms.KeyService.CreateCryptoKeyAsync(b, TimeSpan.FromDays(1));
        var wrapped = await kms.KeyService.EncryptAsync(a, RandomNumberGenerator.GetBytes(32), Aad);

        var ex = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.DecryptAsync(b, wrapped.Ciphertext, Aad));

        Assert.Equal(KmsErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public async Task After_rotation_new_data_uses_version_two_and_version_one_data_still_decrypts()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var old = RandomNumberGenerator.GetBytes(32);
        var oldWrapped = await kms.KeyService.EncryptAsync(keyId, old, Aad);

        var second = await kms.KeyService.CreateVersionAsync(keyId);
        await kms.KeyService.SetPrimaryAsync(keyId, second);
        var fresh = await kms.KeyService.EncryptAsync(keyId, RandomNumberGenerator.GetBytes(32), Aad);

        Assert.Equal(2, second);
        Assert.Equal(2, fresh.Version);
        Assert.Equal(old, await kms.KeyService.DecryptAsync(keyId, oldWrapped.Ciphertext, Aad));
    }

    [Fact]
    public async Task Encrypting_with_an_explicit_version_uses_exactly_that_version()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        await kms.KeyService.CreateVersionAsync(keyId);

        var wrapped = await kms.KeyService.EncryptAsync(keyId, 2, RandomNumberGenerator.GetBytes(32), Aad);

        Assert.Equal(2, wrapped.Version);
    }

    [Fact]
    public async Task Plaintexts_up_to_64_KiB_are_accepted_and_larger_ones_refused()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var largest = RandomNumberGenerator.GetBytes(64 * 1024);

        var wrapped = await kms.KeyService.EncryptAsync(keyId, largest, Aad);
        var ex = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.EncryptAsync(keyId, new byte[(64 * 1024) + 1], Aad));

        Assert.Equal(largest, await kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext, Aad));
        Assert.Equal(KmsErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public async Task The_server_counts_the_plaintext_sizes_it_receives()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var before = kms.Server.PlaintextSizes.Snapshot();

        await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad);
        await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad);
        await kms.KeyService.EncryptAsync(keyId, new byte[17], Aad);
        var after = kms.Server.PlaintextSizes.Snapshot();

        Assert.Equal(2, after[32] - before.GetValueOrDefault(32));
        Assert.Equal(1, after[17] - before.GetValueOrDefault(17));
    }

    [Fact]
    public async Task Decrypt_given_a_version_name_instead_of_a_key_name_is_invalid_argument()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var wrapped = await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad);
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await raw.DecryptAsync(new DecryptRequest
        {
            Name = wrapped.VersionName,
            Ciphertext = ByteString.CopyFrom(wrapped.Ciphertext),
            AdditionalAuthenticatedData = ByteString.CopyFrom(Aad),
        }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task A_truncated_or_edited_ciphertext_is_invalid_argument()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var wrapped = await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad);
        var edited = (byte[])wrapped.Ciphertext.Clone();
        edited[^1] ^= 1;

        var truncated = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.DecryptAsync(keyId, wrapped.Ciphertext.AsMemory(0, 20), Aad));
        var flipped = await Assert.ThrowsAsync<KmsException>(() => kms.KeyService.DecryptAsync(keyId, edited, Aad));

        Assert.Equal(KmsErrorKind.InvalidArgument, truncated.Kind);
        Assert.Equal(KmsErrorKind.InvalidArgument, flipped.Kind);
    }
}
