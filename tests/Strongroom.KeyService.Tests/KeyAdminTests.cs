using System.Text.Json;
using Grpc.Core;
using Strongroom.KeyAdmin.V1;
using Strongroom.KeyService.Tests.Support;
using Strongroom.Pki;

namespace Strongroom.KeyService.Tests;

/// <summary>
/// keyservice's keys through the one key-admin API (strongroom.keyadmin.v1.KeyAdmin) on its admin
/// listener: what keyservice adds to the shared adapter (its kinds, the reserved import key,
/// purposes) and the lifecycle, each change audited under the KeyAdmin method name.
/// </summary>
public sealed class KeyAdminTests(KeyServiceStack stack) : IClassFixture<KeyServiceStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(KeyKind.Ed25519)]
    [InlineData(KeyKind.Unspecified)]
    public async Task A_kind_keyservice_does_not_hold_is_refused_naming_the_kind_field(KeyKind kind)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "wrong-kind-" + (int)kind, Kind = kind }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("kind", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("KEY_KIND_RSA_4096 or KEY_KIND_X25519", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_import_key_name_is_reserved_and_listed_with_the_import_purpose()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "import", Kind = KeyKind.X25519 }, cancellationToken: Ct));
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);

        await stack.Import().GetImportKeyAsync(new Strongroom.KeyService.V1.GetImportKeyRequest(), cancellationToken: Ct);
        await stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "listed", Kind = KeyKind.Rsa4096 }, cancellationToken: Ct);
        var keys = (await stack.Admin().ListKeysAsync(new ListKeysRequest(), cancellationToken: Ct)).Keys;

        var import = Assert.Single(keys, k => k.KeyName == "import");
        Assert.Equal((KeyKind.X25519, KeyPurpose.Import), (import.Kind, import.Purpose));
        var listed = Assert.Single(keys, k => k.KeyName == "listed");
        Assert.Equal((KeyKind.Rsa4096, KeyPurpose.RequestDecryption), (listed.Kind, listed.Purpose));
    }

    [Fact]
    public async Task A_purpose_other_than_request_decryption_is_refused()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "signing", Kind = KeyKind.X25519, Purpose = KeyPurpose.Jws }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("purpose", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lifecycle_runs_through_KeyAdmin_and_every_change_is_audited_under_its_method()
    {
        var admin = stack.Admin();
        var created = (await admin.CreateKeyAsync(new CreateKeyRequest { KeyName = "lifecycle", Kind = KeyKind.X25519, DestroyScheduledSeconds = 3600, RotationPeriodSeconds = 86400 }, cancellationToken: Ct)).Key;
        Assert.Equal((1u, 1u, 3600L, 86400L), (created.PrimaryVersion, created.MinimumVersion, created.DestroyScheduledSeconds, created.RotationPeriodSeconds));
        Assert.EndsWith("/cryptoKeys/lifecycle", created.KmsCryptoKey, StringComparison.Ordinal);
        Assert.NotEqual(0, created.NextRotationTime);

        var v2 = (await admin.RotateKeyAsync(new RotateKeyRequest { KeyName = "lifecycle" }, cancellationToken: Ct)).Version;
        Assert.Equal(2u, v2.Version);
        Assert.EndsWith("/cryptoKeys/lifecycle/cryptoKeyVersions/2", v2.KmsCryptoKeyVersion, StringComparison.Ordinal);

        var primary = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.DisableKeyVersionAsync(new DisableKeyVersionRequest { KeyName = "lifecycle", Version = 2 }, cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, primary.StatusCode);
        Assert.Equal(KeyVersionState.Disabled, (await admin.DisableKeyVersionAsync(new DisableKeyVersionRequest { KeyName = "lifecycle", Version = 1 }, cancellationToken: Ct)).Version.State);
        Assert.Equal(KeyVersionState.Enabled, (await admin.EnableKeyVersionAsync(new EnableKeyVersionRequest { KeyName = "lifecycle", Version = 1 }, cancellationToken: Ct)).Version.State);

        var above = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.SetMinimumVersionAsync(new SetMinimumVersionRequest { KeyName = "lifecycle", MinimumVersion = 3 }, cancellationToken: Ct));
        Assert.Equal(StatusCode.InvalidArgument, above.StatusCode);
        var zero = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.SetMinimumVersionAsync(new SetMinimumVersionRequest { KeyName = "lifecycle", MinimumVersion = 0 }, cancellationToken: Ct));
        Assert.Contains("minimum_version", zero.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(2u, (await admin.SetMinimumVersionAsync(new SetMinimumVersionRequest { KeyName = "lifecycle", MinimumVersion = 2 }, cancellationToken: Ct)).Key.MinimumVersion);

        var negative = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.SetRotationPeriodAsync(new SetRotationPeriodRequest { KeyName = "lifecycle", RotationPeriodSeconds = -1 }, cancellationToken: Ct));
        Assert.Equal(StatusCode.InvalidArgument, negative.StatusCode);
        var off = (await admin.SetRotationPeriodAsync(new SetRotationPeriodRequest { KeyName = "lifecycle", RotationPeriodSeconds = 0 }, cancellationToken: Ct)).Key;
        Assert.Equal((0L, 0L), (off.RotationPeriodSeconds, off.NextRotationTime));

        var scheduled = (await admin.ScheduleDestroyKeyVersionAsync(new ScheduleDestroyKeyVersionRequest { KeyName = "lifecycle", Version = 1 }, cancellationToken: Ct)).Version;
        Assert.Equal(KeyVersionState.DestroyScheduled, scheduled.State);
        Assert.InRange(scheduled.DestroyTime - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3500, 3700);
        Assert.Equal(KeyVersionState.Disabled, (await admin.RestoreKeyVersionAsync(new RestoreKeyVersionRequest { KeyName = "lifecycle", Version = 1 }, cancellationToken: Ct)).Version.State);

        var revoked = (await admin.RevokeKeyVersionAsync(new RevokeKeyVersionRequest { KeyName = "lifecycle", Version = 1, Reason = "test" }, cancellationToken: Ct)).Version;
        Assert.True(revoked.Revoked);
        var key = (await admin.GetKeyAsync(new GetKeyRequest { KeyName = "lifecycle" }, cancellationToken: Ct)).Key;
        Assert.Equal([1u, 2u], key.Versions.Select(v => v.Version));

        var audited = AuditedActions("keyservice", "lifecycle");
        foreach (var method in new[] { "CreateKey", "RotateKey", "DisableKeyVersion", "EnableKeyVersion", "SetMinimumVersion", "SetRotationPeriod", "ScheduleDestroyKeyVersion", "RestoreKeyVersion", "RevokeKeyVersion" })
        {
            Assert.Contains($"/strongroom.keyadmin.v1.KeyAdmin/{method} operator/admin", audited);
        }
    }

    [Fact]
    public async Task KeyAdmin_is_not_served_on_the_public_listener()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await new KeyAdmin.V1.KeyAdmin.KeyAdminClient(stack.Invoker(WorkloadIdentity.Operator("admin"), stack.KeyServicePublic)).ListKeysAsync(new ListKeysRequest(), cancellationToken: Ct));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
    }

    /// <summary>"action caller" of each audit entry naming <paramref name="key"/>, read while the service still appends.</summary>
    private List<string> AuditedActions(string service, string key)
    {
        using var stream = new FileStream(Path.Combine(stack.Root, service, "audit.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var actions = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            var entry = doc.RootElement.GetProperty("entry");
            if (entry.TryGetProperty("key", out var k) && k.GetString() == key)
            {
                actions.Add($"{entry.GetProperty("action").GetString()} {entry.GetProperty("caller").GetString()!.Replace("spiffe://strongroom/", "", StringComparison.Ordinal)}");
            }
        }

        return actions;
    }
}
