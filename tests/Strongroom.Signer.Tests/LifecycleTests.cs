using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Strongroom.KeyCustody;
using Strongroom.Pki;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;
using KeyAdminApi = Strongroom.KeyAdmin.V1;

namespace Strongroom.Signer.Tests;

/// <summary>Destroyed versions stop signing but their earlier signatures verify; revoked versions' signatures do not; the JWKS follows.</summary>
public sealed class LifecycleTests(SignerStack stack) : IClassFixture<SignerStack>
{
    private async Task<Api.SignResponse> SignAsync(string key, string text) =>
        await stack.Runner.SignAsync(new Api.SignRequest { KeyName = key, Payload = ByteString.CopyFromUtf8(text) });

    private async Task<Api.GetJwksResponse> JwksAsync() => await stack.Runner.GetJwksAsync(new Api.GetJwksRequest());

    [Fact]
    public async Task A_destroyed_version_no_longer_signs_and_its_earlier_signatures_still_verify()
    {
        var admin = stack.Admin();
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "destroy-me", Purpose = KeyAdminApi.KeyPurpose.Jws });
        var before = await SignAsync("destroy-me", "{\"before\":true}");
        Assert.Equal(1u, before.Version);

        stack.Clock.Advance(TimeSpan.FromSeconds(10));
        var v2 = await admin.RotateKeyAsync(new KeyAdminApi.RotateKeyRequest { KeyName = "destroy-me" });
        var destroyed = await admin.ScheduleDestroyKeyVersionAsync(new KeyAdminApi.ScheduleDestroyKeyVersionRequest { KeyName = "destroy-me", Version = 1 });
        Assert.Equal(KeyAdminApi.KeyVersionState.Destroyed, destroyed.Version.State);
        Assert.True(destroyed.Version.DestroyEventTime > before.IssuedAt);

        var after = await SignAsync("destroy-me", "{\"after\":true}");
        Assert.Equal(2u, after.Version);
        Assert.Equal(v2.Version.Kid, after.Kid);
        Assert.NotEqual(before.Kid, after.Kid);

        // Crypto-shredded: the only kms version that wrapped it is destroyed, and custody will not unwrap it.
        var kms = new KeyManagementService.KeyManagementServiceClient(stack.Invoker(WorkloadIdentity.Operator("admin"), stack.KmsAdmin, "kms"));
        var kmsVersion = await kms.GetCryptoKeyVersionAsync(new GetCryptoKeyVersionRequest { Name = destroyed.Version.KmsCryptoKeyVersion });
        Assert.Equal(CryptoKeyVersion.Types.CryptoKeyVersionState.Destroyed, kmsVersion.State);
        var custodian = stack.Signer.Services.GetRequiredService<KeyCustodian>();
        var unwrap = await Assert.ThrowsAsync<Strongroom.Core.StrongroomException>(async () => await custodian.AcquireAsync("destroy-me", 1, CancellationToken.None));
        Assert.Equal(Strongroom.Core.ErrorKind.FailedPrecondition, unwrap.Kind);

        var old = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = before.Jws });
        Assert.True(old.Valid, old.Detail);

        // The destroyed version stays in the JWKS: a stock verifier still checks what it signed before.
        var jwks = await JwksAsync();
        Assert.Contains(jwks.Keys, k => k.Kid == before.Kid && k.State == Api.KeyVersionState.Destroyed);

        // No one can bring it back to sign.
        var restore = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.RestoreKeyVersionAsync(new KeyAdminApi.RestoreKeyVersionRequest { KeyName = "destroy-me", Version = 1 }));
        Assert.Equal(StatusCode.FailedPrecondition, restore.StatusCode);
    }

    [Fact]
    public async Task A_revoked_versions_signatures_are_invalid_and_it_leaves_the_JWKS()
    {
        var admin = stack.Admin();
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "revoke-me" });
        var signed = await SignAsync("revoke-me", "{\"x\":1}");
        await admin.RotateKeyAsync(new KeyAdminApi.RotateKeyRequest { KeyName = "revoke-me" });
        Assert.True((await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = signed.Jws })).Valid);

        var revoked = await admin.RevokeKeyVersionAsync(new KeyAdminApi.RevokeKeyVersionRequest { KeyName = "revoke-me", Version = 1, Reason = "test compromise" });
        Assert.True(revoked.Version.Revoked);
        var answer = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = signed.Jws });
        Assert.False(answer.Valid);
        Assert.Equal(Api.VerifyFailure.KeyRevoked, answer.Failure);
        var jwks = await JwksAsync();
        Assert.DoesNotContain(jwks.Keys, k => k.Kid == signed.Kid);
        Assert.DoesNotContain(signed.Kid, jwks.JwksJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signatures_by_versions_below_the_minimum_are_refused()
    {
        var admin = stack.Admin();
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "minimum" });
        var v1 = await SignAsync("minimum", "{}");
        await admin.RotateKeyAsync(new KeyAdminApi.RotateKeyRequest { KeyName = "minimum" });
        await admin.SetMinimumVersionAsync(new KeyAdminApi.SetMinimumVersionRequest { KeyName = "minimum", MinimumVersion = 2 });
        var answer = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = v1.Jws });
        Assert.Equal(Api.VerifyFailure.KeyBelowMinimumVersion, answer.Failure);
    }

    [Fact]
    public async Task Only_the_configured_log_key_may_have_the_log_purpose()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Admin().CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "second-log", Purpose = KeyAdminApi.KeyPurpose.LogCheckpoint }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);

        var log = await stack.Admin().GetKeyAsync(new KeyAdminApi.GetKeyRequest { KeyName = "keylog" });
        Assert.Equal(KeyAdminApi.KeyPurpose.LogCheckpoint, log.Key.Purpose);
        Assert.StartsWith("projects/strongroom/locations/local/keyRings/signer/cryptoKeys/keylog", log.Key.KmsCryptoKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_keys_note_verifier_key_names_the_origin_and_its_kid_differs_from_every_JWS_kid()
    {
        var logKey = await stack.LogKeyAdmin().GetLogKeyAsync(new Api.GetLogKeyRequest());
        Assert.Equal("strongroom/keylog/test", logKey.Origin);
        Assert.StartsWith("strongroom/keylog/test+", logKey.NoteVerifierKey, StringComparison.Ordinal);
        var jwks = await JwksAsync();
        Assert.DoesNotContain(jwks.Keys, k => k.Kid == logKey.Kid);
    }
}
