using Strongroom.KmsClient;

namespace Strongroom.Kms.Tests;

/// <summary>The client refuses configurations that would send KEK calls somewhere unintended.</summary>
public sealed class ClientOptionsTests
{
    [Theory]
    [InlineData("projects/p/locations/l/keyRings/r", "http://127.0.0.1:7411", "https://")]
    [InlineData("projects/p/locations/l/keyRings/r", "", "https://")]
    [InlineData("projects/p/locations/l", "https://127.0.0.1:7411", "KeyRing")]
    [InlineData("projects/p/locations/l/keyRings/r/cryptoKeys/k", "https://127.0.0.1:7411", "KeyRing")]
    public void A_local_client_needs_an_https_address_and_a_key_ring_name(string ring, string address, string expected)
    {
        var options = new KmsClientOptions { Mode = KmsMode.Local, KeyRing = ring, Address = address };

        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress("https://127.0.0.1:1");

        var ex = Assert.Throws<ArgumentException>(() => new KekClient(channel.CreateCallInvoker(), options));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Google_mode_defaults_to_the_cloud_kms_endpoint()
    {
        var options = new KmsClientOptions { Mode = KmsMode.Google, KeyRing = "projects/p/locations/europe-west1/keyRings/keyservice" };

        using var client = KekClient.CreateGoogle(options);

        Assert.Equal(KmsClientOptions.GoogleEndpoint, options.EffectiveAddress);
        Assert.Equal("projects/p/locations/europe-west1/keyRings/keyservice/cryptoKeys/app-1/cryptoKeyVersions/2", client.VersionName("app-1", 2));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("../x")]
    public void Key_ids_outside_the_cloud_kms_alphabet_never_reach_the_wire(string keyId)
    {
        var options = new KmsClientOptions { Mode = KmsMode.Google, KeyRing = "projects/p/locations/l/keyRings/r" };
        using var client = KekClient.CreateGoogle(options);

        Assert.Throws<ArgumentException>(() => client.CryptoKeyName(keyId));
    }
}
