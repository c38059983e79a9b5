using System.Text.Json;
using Grpc.Core;
using Strongroom.KeyAdmin.V1;
using Strongroom.Signer.Tests.Support;

namespace Strongroom.Signer.Tests;

/// <summary>
/// The signer's keys through the one key-admin API (strongroom.keyadmin.v1.KeyAdmin) on its admin
/// listener: what the signer adds to the shared adapter (Ed25519 only, no import, the log key's
/// purpose) and the lifecycle calls not covered by LifecycleTests, audited under KeyAdmin's names.
/// </summary>
public sealed class KeyAdminTests(SignerStack stack) : IClassFixture<SignerStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(KeyKind.X25519)]
    [InlineData(KeyKind.Rsa4096)]
    public async Task A_decryption_kind_is_refused_naming_the_kind_field(KeyKind kind)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "decrypts-" + (int)kind, Kind = kind }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("kind", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("KEY_KIND_ED25519", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_a_kind_is_Ed25519_and_only_the_log_key_has_the_log_purpose()
    {
        var created = (await stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "no-kind" }, cancellationToken: Ct)).Key;
        Assert.Equal((KeyKind.Ed25519, KeyPurpose.Jws), (created.Kind, created.Purpose));

        var keys = (await stack.Admin().ListKeysAsync(new ListKeysRequest(), cancellationToken: Ct)).Keys;
        Assert.Equal(KeyPurpose.LogCheckpoint, Assert.Single(keys, k => k.KeyName == "keylog").Purpose);
        Assert.All(keys.Where(k => k.KeyName != "keylog"), k => Assert.Equal(KeyPurpose.Jws, k.Purpose));
        Assert.All(keys, k => Assert.Equal(KeyKind.Ed25519, k.Kind));
    }

    [Fact]
    public async Task A_key_without_versions_is_refused_because_the_signer_cannot_import()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "empty", SkipInitialVersion = true }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("skip_initial_version", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disable_enable_rotation_period_and_restore_run_through_KeyAdmin_and_are_audited()
    {
        var admin = stack.Admin();
        await admin.CreateKeyAsync(new CreateKeyRequest { KeyName = "admin-calls", DestroyScheduledSeconds = 3600 }, cancellationToken: Ct);
        await admin.RotateKeyAsync(new RotateKeyRequest { KeyName = "admin-calls" }, cancellationToken: Ct);

        Assert.Equal(KeyVersionState.Disabled, (await admin.DisableKeyVersionAsync(new DisableKeyVersionRequest { KeyName = "admin-calls", Version = 1 }, cancellationToken: Ct)).Version.State);
        Assert.Equal(KeyVersionState.Enabled, (await admin.EnableKeyVersionAsync(new EnableKeyVersionRequest { KeyName = "admin-calls", Version = 1 }, cancellationToken: Ct)).Version.State);
        var primary = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.ScheduleDestroyKeyVersionAsync(new ScheduleDestroyKeyVersionRequest { KeyName = "admin-calls", Version = 2 }, cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, primary.StatusCode);
        Assert.Equal(KeyVersionState.DestroyScheduled, (await admin.ScheduleDestroyKeyVersionAsync(new ScheduleDestroyKeyVersionRequest { KeyName = "admin-calls", Version = 1 }, cancellationToken: Ct)).Version.State);
        Assert.Equal(KeyVersionState.Disabled, (await admin.RestoreKeyVersionAsync(new RestoreKeyVersionRequest { KeyName = "admin-calls", Version = 1 }, cancellationToken: Ct)).Version.State);
        var period = (await admin.SetRotationPeriodAsync(new SetRotationPeriodRequest { KeyName = "admin-calls", RotationPeriodSeconds = 7 * 86400 }, cancellationToken: Ct)).Key;
        Assert.Equal(7 * 86400L, period.RotationPeriodSeconds);
        Assert.NotEqual(0, period.NextRotationTime);
        var zero = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.SetMinimumVersionAsync(new SetMinimumVersionRequest { KeyName = "admin-calls", MinimumVersion = 0 }, cancellationToken: Ct));
        Assert.Contains("minimum_version", zero.Status.Detail, StringComparison.Ordinal);

        var audited = AuditedActions("admin-calls");
        foreach (var method in new[] { "CreateKey", "RotateKey", "DisableKeyVersion", "EnableKeyVersion", "ScheduleDestroyKeyVersion", "RestoreKeyVersion", "SetRotationPeriod" })
        {
            Assert.Contains($"/strongroom.keyadmin.v1.KeyAdmin/{method}", audited);
        }
    }

    /// <summary>The action of each signer audit entry naming <paramref name="key"/>, read while the signer still appends.</summary>
    private List<string> AuditedActions(string key)
    {
        using var stream = new FileStream(Path.Combine(stack.Root, "signer", "audit.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var actions = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            var entry = doc.RootElement.GetProperty("entry");
            if (entry.TryGetProperty("key", out var k) && k.GetString() == key)
            {
                actions.Add(entry.GetProperty("action").GetString()!);
            }
        }

        return actions;
    }
}
