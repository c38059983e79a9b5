using Grpc.Core;
using Strongroom.Core;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Tests.Support;
using Strongroom.Pki;

namespace Strongroom.Kms.Tests;

/// <summary>Resource names are parsed strictly: anything off the Cloud KMS pattern is INVALID_ARGUMENT.</summary>
public sealed class ResourceNameTests(KmsFixture kms) : IClassFixture<KmsFixture>
{
    [Theory]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/strongroom/locations/us-east1/keyRings/key_ring-1/cryptoKeys/Key-2/cryptoKeyVersions/42")]
    public void Well_formed_version_names_parse_and_print_back_identically(string name)
    {
        var parsed = ResourceNames.ParseCryptoKeyVersion("name", name);

        Assert.Equal(name, parsed.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/0")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/01")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/-1")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/99999999999")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1/")]
    [InlineData("/projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/versions/1")]
    [InlineData("projects/p/locations/l/keyrings/r/cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/p/locations/l/keyRings//cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/p/locations/l/keyRings/r r/cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/p/locations/l/keyRings/../cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/P/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/p-/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k\n/cryptoKeyVersions/1")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk/cryptoKeyVersions/1")]
    public void Malformed_version_names_are_invalid_argument_naming_the_field(string name)
    {
        var ex = Assert.Throws<StrongroomException>(() => ResourceNames.ParseCryptoKeyVersion("name", name));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal("name", Assert.Single(ex.Violations).Field);
    }

    [Theory]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k", null)]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3", 3)]
    public void Encrypt_accepts_a_key_or_a_version_name(string name, int? version)
    {
        var (key, parsed) = ResourceNames.ParseCryptoKeyOrVersion("name", name);

        Assert.Equal("projects/p/locations/l/keyRings/r/cryptoKeys/k", key.ToString());
        Assert.Equal(version, parsed);
    }

    [Theory]
    [InlineData("projects/strongroom/locations/local/keyRings/keyservice/cryptoKeys/")]
    [InlineData("projects/strongroom/locations/local/keyRings/keyservice/cryptoKeys/k/extra")]
    [InlineData("projects/strongroom/locations/local/keyRings/keyservice")]
    public async Task The_server_answers_a_malformed_name_with_invalid_argument_and_field_details(string name)
    {
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await raw.GetCryptoKeyAsync(new Google.Cloud.Kms.V1.GetCryptoKeyRequest { Name = name }));
        var status = ex.GetRpcStatus()!;
        var details = status.GetDetail<Google.Rpc.BadRequest>();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("name", Assert.Single(details.FieldViolations).Field);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("with space")]
    [InlineData("ümlaut")]
    public async Task Create_refuses_ids_outside_the_cloud_kms_alphabet(string id)
    {
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await raw.CreateCryptoKeyAsync(new Google.Cloud.Kms.V1.CreateCryptoKeyRequest
        {
            Parent = KmsServer.KeyServiceRing,
            CryptoKeyId = id,
            CryptoKey = new Google.Cloud.Kms.V1.CryptoKey { Purpose = Google.Cloud.Kms.V1.CryptoKey.Types.CryptoKeyPurpose.EncryptDecrypt },
        }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task Create_refuses_automatic_rotation_and_other_purposes()
    {
        var raw = kms.Server.Raw(WorkloadIdentity.KeyService);
        var rotating = new Google.Cloud.Kms.V1.CryptoKey
        {
            Purpose = Google.Cloud.Kms.V1.CryptoKey.Types.CryptoKeyPurpose.EncryptDecrypt,
            RotationPeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromDays(90)),
        };
        var signing = new Google.Cloud.Kms.V1.CryptoKey { Purpose = Google.Cloud.Kms.V1.CryptoKey.Types.CryptoKeyPurpose.AsymmetricSign };

        var rotation = await Assert.ThrowsAsync<RpcException>(async () => await raw.CreateCryptoKeyAsync(new Google.Cloud.Kms.V1.CreateCryptoKeyRequest { Parent = KmsServer.KeyServiceRing, CryptoKeyId = KmsFixture.NewKeyId(), CryptoKey = rotating }));
        var purpose = await Assert.ThrowsAsync<RpcException>(async () => await raw.CreateCryptoKeyAsync(new Google.Cloud.Kms.V1.CreateCryptoKeyRequest { Parent = KmsServer.KeyServiceRing, CryptoKeyId = KmsFixture.NewKeyId(), CryptoKey = signing }));

        Assert.Equal(StatusCode.InvalidArgument, rotation.StatusCode);
        Assert.Contains("rotation", rotation.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, purpose.StatusCode);
    }
}
