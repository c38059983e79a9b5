using System.Reflection;
using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Kms.Tests.Support;
using Strongroom.KmsClient;
using Strongroom.Pki;

namespace Strongroom.Kms.Tests;

/// <summary>
/// DESIGN §2 for the kms: Encrypt/Decrypt only by the identity bound to the KEK; key admin by that
/// service and operators; every other identity PERMISSION_DENIED on every method; admin listener only.
/// </summary>
public sealed class BindingTests(KmsFixture kms) : IClassFixture<KmsFixture>
{
    private static readonly byte[] Aad = "aad"u8.ToArray();

    public static TheoryData<string> Outsiders => ["runner", "storage", "edge", "kms", "client/alice"];

    [Fact]
    public async Task Signer_cannot_encrypt_or_decrypt_with_a_key_of_keyservice()
    {
        var keyId = KmsFixture.NewKeyId();
        await kms.KeyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));
        var wrapped = await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad);
        using var signerOnKeyServiceRing = kms.Server.Client(WorkloadIdentity.Signer, KmsServer.KeyServiceRing);

        var encrypt = await Assert.ThrowsAsync<KmsException>(() => signerOnKeyServiceRing.EncryptAsync(keyId, new byte[32], Aad));
        var decrypt = await Assert.ThrowsAsync<KmsException>(() => signerOnKeyServiceRing.DecryptAsync(keyId, wrapped.Ciphertext, Aad));
        var admin = await Assert.ThrowsAsync<KmsException>(() => signerOnKeyServiceRing.ScheduleDestroyAsync(keyId, 1));

        Assert.Equal(KmsErrorKind.PermissionDenied, encrypt.Kind);
        Assert.Equal(KmsErrorKind.PermissionDenied, decrypt.Kind);
        Assert.Equal(KmsErrorKind.PermissionDenied, admin.Kind);
    }

    [Fact]
    public async Task Keyservice_cannot_create_keys_in_the_ring_bound_to_signer()
    {
        using var keyServiceOnSignerRing = kms.Server.Client(WorkloadIdentity.KeyService, KmsServer.SignerRing);

        var ex = await Assert.ThrowsAsync<KmsException>(() => keyServiceOnSignerRing.CreateCryptoKeyAsync(KmsFixture.NewKeyId(), TimeSpan.FromDays(1)));

        Assert.Equal(KmsErrorKind.PermissionDenied, ex.Kind);
    }

    [Fact]
    public async Task A_ring_without_configured_binding_belongs_to_the_service_that_created_it()
    {
        var ring = "projects/strongroom/locations/local/keyRings/r-" + Guid.NewGuid().ToString("N")[..8];
        using var keyService = kms.Server.Client(WorkloadIdentity.KeyService, ring);
        using var signer = kms.Server.Client(WorkloadIdentity.Signer, ring);
        await keyService.EnsureKeyRingAsync();
        var keyId = KmsFixture.NewKeyId();
        await keyService.CreateCryptoKeyAsync(keyId, TimeSpan.FromDays(1));

        var create = await Assert.ThrowsAsync<KmsException>(() => signer.CreateCryptoKeyAsync(KmsFixture.NewKeyId(), TimeSpan.FromDays(1)));
        var encrypt = await Assert.ThrowsAsync<KmsException>(() => signer.EncryptAsync(keyId, new byte[32], Aad));

        Assert.Equal(KmsErrorKind.PermissionDenied, create.Kind);
        Assert.Equal(KmsErrorKind.PermissionDenied, encrypt.Kind);
    }

    [Fact]
    public async Task An_operator_administers_a_services_key_but_cannot_encrypt_or_decrypt_with_it()
    {
        var op = kms.Server.Raw(WorkloadIdentity.Operator("alice"));
        var keyId = KmsFixture.NewKeyId();
        var created = await op.CreateCryptoKeyAsync(new CreateCryptoKeyRequest
        {
            Parent = KmsServer.KeyServiceRing,
            CryptoKeyId = keyId,
            CryptoKey = new CryptoKey { Purpose = CryptoKey.Types.CryptoKeyPurpose.EncryptDecrypt, DestroyScheduledDuration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromDays(1)) },
        });
        var wrapped = await kms.KeyService.EncryptAsync(keyId, new byte[32], Aad);
        var disabled = await op.UpdateCryptoKeyVersionAsync(new UpdateCryptoKeyVersionRequest
        {
            CryptoKeyVersion = new CryptoKeyVersion { Name = created.Primary.Name, State = CryptoKeyVersion.Types.CryptoKeyVersionState.Disabled },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "state" } },
        });

        var encrypt = await Assert.ThrowsAsync<RpcException>(async () => await op.EncryptAsync(new EncryptRequest { Name = created.Name, Plaintext = ByteString.CopyFrom(new byte[32]) }));
        var decrypt = await Assert.ThrowsAsync<RpcException>(async () => await op.DecryptAsync(new DecryptRequest { Name = created.Name, Ciphertext = ByteString.CopyFrom(wrapped.Ciphertext) }));

        Assert.Equal(CryptoKeyVersion.Types.CryptoKeyVersionState.Disabled, disabled.State);
        Assert.Equal(StatusCode.PermissionDenied, encrypt.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, decrypt.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Outsiders))]
    public async Task Every_kms_method_refuses_identities_that_hold_no_keks(string identity)
    {
        var client = kms.Server.Raw(WorkloadIdentity.ParseShort(identity));

        foreach (var (method, call) in EveryMethod(client))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            Assert.True(ex.StatusCode == StatusCode.PermissionDenied, $"{identity} on {method}: {ex.Status}");
        }
    }

    [Fact]
    public async Task Every_kms_method_is_refused_on_the_public_listener_even_to_its_bound_service()
    {
        var client = kms.Server.Raw(WorkloadIdentity.KeyService, adminListener: false);

        foreach (var (method, call) in EveryMethod(client))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            Assert.True(ex.StatusCode == StatusCode.PermissionDenied, $"{method}: {ex.Status}");
            Assert.Contains("admin listener", ex.Status.Detail);
        }
    }

    [Fact]
    public void The_policy_table_has_an_admin_row_for_every_kms_method()
    {
        // Mirrors the hosting library's start-up check, and pins "every kms method is admin" (DESIGN §2).
        var policy = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Testing.RepoPaths.Root, "services", "kms", "appsettings.json")))
            .RootElement.GetProperty("Strongroom").GetProperty("Policy");

        foreach (var method in KeyManagementService.Descriptor.Methods)
        {
            var row = policy.GetProperty($"/{KeyManagementService.Descriptor.FullName}/{method.Name}");
            Assert.True(row.GetProperty("Admin").GetBoolean(), method.Name);
            var allowed = row.GetProperty("Allow").EnumerateArray().Select(a => a.GetString()).ToList();
            var expected = method.Name is "Encrypt" or "Decrypt" ? new[] { "keyservice", "signer" } : ["keyservice", "signer", "operator/*"];
            Assert.Equal(expected, allowed);
        }
    }

    /// <summary>Every RPC of the service, called with an empty request (authorization runs before any validation).</summary>
    private static IEnumerable<(string Method, Func<Task> Call)> EveryMethod(KeyManagementService.KeyManagementServiceClient client)
    {
        foreach (var method in KeyManagementService.Descriptor.Methods)
        {
            var async = typeof(KeyManagementService.KeyManagementServiceClient).GetMethod(
                method.Name + "Async",
                BindingFlags.Public | BindingFlags.Instance,
                [method.InputType.ClrType, typeof(CallOptions)])!;
            var request = Activator.CreateInstance(method.InputType.ClrType)!;
            yield return (method.Name, async () =>
            {
                dynamic call = async.Invoke(client, [request, new CallOptions()])!;
                await call.ResponseAsync;
            });
        }

        Assert.Equal(16, KeyManagementService.Descriptor.Methods.Count);
    }
}
