using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.Kms.Tests.Support;
using Strongroom.KmsClient;
using Strongroom.Pki;

namespace Strongroom.Kms.Tests;

/// <summary>
/// CRC32C both ways, as Cloud KMS specifies: the server refuses a request whose checksum does not
/// match, and the client refuses a response whose checksum or verified flag is wrong, never using the bytes.
/// </summary>
public sealed class ChecksumTests(KmsFixture kms) : IClassFixture<KmsFixture>
{
    private static readonly byte[] Aad = "aad"u8.ToArray();

    [Fact]
    public async Task The_server_sets_the_verified_flags_and_the_response_checksums()
    {
        var keyName = await NewKeyAsync();
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);
        var plaintext = new byte[32];

        var encrypted = await raw.EncryptAsync(new EncryptRequest
        {
            Name = keyName,
            Plaintext = ByteString.CopyFrom(plaintext),
            AdditionalAuthenticatedData = ByteString.CopyFrom(Aad),
            PlaintextCrc32C = Crc32C.ComputeAsInt64(plaintext),
            AdditionalAuthenticatedDataCrc32C = Crc32C.ComputeAsInt64(Aad),
        });
        var decrypted = await raw.DecryptAsync(new DecryptRequest
        {
            Name = keyName,
            Ciphertext = encrypted.Ciphertext,
            AdditionalAuthenticatedData = ByteString.CopyFrom(Aad),
            CiphertextCrc32C = encrypted.CiphertextCrc32C,
        });

        Assert.True(encrypted.VerifiedPlaintextCrc32C);
        Assert.True(encrypted.VerifiedAdditionalAuthenticatedDataCrc32C);
        Assert.Equal(Crc32C.ComputeAsInt64(encrypted.Ciphertext.Span), encrypted.CiphertextCrc32C);
        Assert.Equal(Crc32C.ComputeAsInt64(plaintext), decrypted.PlaintextCrc32C);
        Assert.True(decrypted.UsedPrimary);
    }

    [Fact]
    public async Task Without_checksums_the_server_reports_them_unverified()
    {
        var keyName = await NewKeyAsync();
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);

        var encrypted = await raw.EncryptAsync(new EncryptRequest { Name = keyName, Plaintext = ByteString.CopyFrom(new byte[32]) });

        Assert.False(encrypted.VerifiedPlaintextCrc32C);
        Assert.False(encrypted.VerifiedAdditionalAuthenticatedDataCrc32C);
    }

    [Theory]
    [InlineData("plaintext_crc32c")]
    [InlineData("additional_authenticated_data_crc32c")]
    public async Task A_wrong_request_checksum_on_encrypt_is_refused_by_the_server(string field)
    {
        var keyName = await NewKeyAsync();
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);
        var plaintext = new byte[32];
        var request = new EncryptRequest
        {
            Name = keyName,
            Plaintext = ByteString.CopyFrom(plaintext),
            AdditionalAuthenticatedData = ByteString.CopyFrom(Aad),
            PlaintextCrc32C = Crc32C.ComputeAsInt64(plaintext),
            AdditionalAuthenticatedDataCrc32C = Crc32C.ComputeAsInt64(Aad),
        };
        if (field == "plaintext_crc32c")
        {
            request.PlaintextCrc32C ^= 1;
        }
        else
        {
            request.AdditionalAuthenticatedDataCrc32C ^= 1;
        }

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await raw.EncryptAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(field, ex.Status.Detail);
    }

    [Fact]
    public async Task A_wrong_ciphertext_checksum_on_decrypt_is_refused_by_the_server()
    {
        var keyName = await NewKeyAsync();
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);
        var encrypted = await raw.EncryptAsync(new EncryptRequest { Name = keyName, Plaintext = ByteString.CopyFrom(new byte[32]) });

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await raw.DecryptAsync(new DecryptRequest
        {
            Name = keyName,
            Ciphertext = encrypted.Ciphertext,
            CiphertextCrc32C = encrypted.CiphertextCrc32C ^ 1,
        }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("ciphertext_crc32c", ex.Status.Detail);
    }

    [Fact]
    public async Task A_plaintext_damaged_after_the_client_checksummed_it_is_refused_by_the_server()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var tamper = new TamperingInterceptor(Tamper.RequestPlaintextBytes);
        using var client = kms.Server.Client(WorkloadIdentity.KeyService, KmsServer.KeyServiceRing, tamper);

        var ex = await Assert.ThrowsAsync<KmsException>(() => client.EncryptAsync(keyId, new byte[32], Aad));

        Assert.Equal(KmsErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("plaintext_crc32c", ex.Message);
    }

    [Theory]
    [InlineData(Tamper.ResponseCiphertextChecksum)]
    [InlineData(Tamper.ResponseCiphertextBytes)]
    [InlineData(Tamper.ResponseVerifiedPlaintextFlag)]
    public async Task A_damaged_encrypt_response_is_refused_by_the_client_as_a_retryable_integrity_error(Tamper damage)
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var tamper = new TamperingInterceptor(damage);
        using var client = kms.Server.Client(WorkloadIdentity.KeyService, KmsServer.KeyServiceRing, tamper, maxAttempts: 3);

        var ex = await Assert.ThrowsAsync<KmsException>(() => client.EncryptAsync(keyId, new byte[32], Aad));

        Assert.Equal(KmsErrorKind.Integrity, ex.Kind);
        Assert.True(ex.IsRetryable);
        // Every attempt was damaged, so the client tried exactly MaxAttempts times and returned nothing.
        Assert.Equal(3, tamper.Calls);
    }

    [Theory]
    [InlineData(Tamper.ResponsePlaintextChecksum)]
    [InlineData(Tamper.ResponsePlaintextBytes)]
    public async Task A_damaged_decrypt_response_is_refused_by_the_client_as_a_retryable_integrity_error(Tamper damage)
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var wrapped = await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad);
        var tamper = new TamperingInterceptor(damage);
        using var client = kms.Server.Client(WorkloadIdentity.KeyService, KmsServer.KeyServiceRing, tamper, maxAttempts: 2);

        var ex = await Assert.ThrowsAsync<KmsException>(() => client.DecryptAsync(keyId, wrapped.Ciphertext, Aad));

        Assert.Equal(KmsErrorKind.Integrity, ex.Kind);
        Assert.True(ex.IsRetryable);
        Assert.Equal(2, tamper.Calls);
    }

    [Fact]
    public void Crc32C_matches_the_known_answer_for_123456789()
    {
        // The CRC-32C check value (RFC 3720 / Castagnoli): what Cloud KMS computes.
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    private async Task<string> NewKeyAsync()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        return kms.KeyService.CryptoKeyName(keyId);
    }
}
