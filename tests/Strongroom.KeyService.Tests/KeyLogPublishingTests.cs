using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyLog;
using Strongroom.KeyPublishing;
using Strongroom.KeyService.Domain;
using Strongroom.KeyService.Tests.Support;
using Strongroom.Pki;
using Strongroom.Requests;
using Strongroom.Storage.Tests.Support;
using Strongroom.Testing;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.KeyService.Tests;

/// <summary>
/// kms + keyservice + the real storage service: every version keyservice creates is published to the
/// key log as spiffe://strongroom/keyservice, every lifecycle event follows in order, the import key
/// is never published, and publications wait in the outbox while storage is down.
/// </summary>
public sealed class KeyLogPublishingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Versions_and_lifecycle_events_reach_the_key_log_in_order()
    {
        var storagePort = Ports.Free();
        await using var stack = new KeyServiceStack(storagePort);
        await stack.InitializeAsync();
        await using var storage = await StorageHost.StartAsync(stack.Pki, storagePort);
        var client = StorageClient(stack, storagePort);
        var ct = TestContext.Current.CancellationToken;

        await stack.Custodian.CreateKeyAsync("studioml", Rsa4096Kind.KindName, null, TimeSpan.Zero, ct);
        var first = await stack.Custodian.GetVersionAsync("studioml", 1, ct);
        var second = await stack.Custodian.RotateAsync("studioml", ct);
        await stack.Custodian.DisableVersionAsync("studioml", 1, ct);
        await stack.Custodian.ScheduleDestroyVersionAsync("studioml", 1, ct);
        // Zero grace: destroyed at once or by the next sweep; either way the Destroyed event follows.
        await stack.Custodian.DestroyDueAsync(ct);
        Assert.Equal(KeyVersionState.Destroyed, (await stack.Custodian.GetVersionAsync("studioml", 1, ct)).State);
        await stack.Custodian.CreateKeyAsync("requests", X25519Kind.KindName, null, null, ct);
        var hpke = await stack.Custodian.GetVersionAsync("requests", 1, ct);

        var firstKid = PublicKeyView.Of(Rsa4096Kind.KindName, first).Kid;
        var firstEntries = await WaitForEntriesAsync(client, firstKid, 5, ct);
        Assert.Equal(WorkloadIdentity.KeyService.ToString(), firstEntries.Key.OwnerIdentity);
        Assert.Equal(StorageApi.KeyKind.StudiomlDecryption, firstEntries.Key.Kind);
        var published = Assert.IsType<KeyPublished>(firstEntries.Entries[0]);
        Assert.Equal("studioml", published.KeyName);
        Assert.Equal(1, published.Version);
        Assert.Equal(KeyMark.Primary, Assert.IsType<KeyVersionMarked>(firstEntries.Entries[1]).Mark);
        Assert.Equal(
            [KeyState.Disabled, KeyState.DestroyScheduled, KeyState.Destroyed],
            firstEntries.Entries.Skip(2).Select(e => Assert.IsType<KeyStateChanged>(e).State));

        var secondEntries = await WaitForEntriesAsync(client, PublicKeyView.Of(Rsa4096Kind.KindName, second).Kid, 2, ct);
        Assert.Equal(2, Assert.IsType<KeyPublished>(secondEntries.Entries[0]).Version);
        Assert.Equal(KeyMark.Primary, Assert.IsType<KeyVersionMarked>(secondEntries.Entries[1]).Mark);

        var hpkeEntries = await WaitForEntriesAsync(client, PublicKeyView.Of(X25519Kind.KindName, hpke).Kid, 2, ct);
        Assert.Equal(StorageApi.KeyKind.RequestDecryption, hpkeEntries.Key.Kind);
        Assert.Equal(WorkloadIdentity.KeyService.ToString(), hpkeEntries.Key.OwnerIdentity);

        // The import key is keyservice's own plumbing: never in the log.
        var (importVersion, importView) = await stack.KeyService.Services.GetRequiredService<KeyImporter>().GetImportKeyAsync(ct);
        Assert.Equal(1, importVersion.Version);
        await WaitForOutboxDrainAsync(stack, ct);
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = importView.Kid }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal((0L, 0L), await stack.KeyService.Services.GetRequiredService<KeyOutbox>().CountsAsync(ct));
    }

    [Fact]
    public async Task Publications_wait_in_the_outbox_while_storage_is_down_and_are_delivered_once_it_is_up()
    {
        var storagePort = Ports.Free();
        await using var stack = new KeyServiceStack(storagePort);
        await stack.InitializeAsync();
        var ct = TestContext.Current.CancellationToken;
        var outbox = stack.KeyService.Services.GetRequiredService<KeyOutbox>();

        // Storage is not running: key administration does not wait for it.
        await stack.Custodian.CreateKeyAsync("offline", X25519Kind.KindName, null, TimeSpan.Zero, ct);
        var first = await stack.Custodian.GetVersionAsync("offline", 1, ct);
        await stack.Custodian.RotateAsync("offline", ct);
        await stack.Custodian.DisableVersionAsync("offline", 1, ct);

        // Let the worker fail at least one delivery pass; nothing is lost or parked.
        await Task.Delay(TimeSpan.FromSeconds(2.5), ct);
        var rows = await outbox.PendingAsync(100, ct);
        Assert.Equal(
            [KeyPublisher.PublishKeyKind, KeyPublisher.PublishKeyEventKind, KeyPublisher.PublishKeyKind, KeyPublisher.PublishKeyEventKind, KeyPublisher.PublishKeyEventKind],
            rows.Select(r => r.Kind));
        Assert.True(rows[0].Attempts >= 1, "the worker tried storage while it was down");
        Assert.Equal(0L, (await outbox.CountsAsync(ct)).Parked);

        await using var storage = await StorageHost.StartAsync(stack.Pki, storagePort);
        var client = StorageClient(stack, storagePort);
        var entries = await WaitForEntriesAsync(client, PublicKeyView.Of(X25519Kind.KindName, first).Kid, 3, ct);
        Assert.IsType<KeyPublished>(entries.Entries[0]);
        Assert.Equal(KeyMark.Primary, Assert.IsType<KeyVersionMarked>(entries.Entries[1]).Mark);
        Assert.Equal(KeyState.Disabled, Assert.IsType<KeyStateChanged>(entries.Entries[2]).State);
        await WaitForOutboxDrainAsync(stack, ct);
        Assert.Equal((0L, 0L), await outbox.CountsAsync(ct));
    }

    private static StorageApi.Storage.StorageClient StorageClient(KeyServiceStack stack, int port) =>
        new(stack.Invoker(WorkloadIdentity.Operator("admin"), $"https://127.0.0.1:{port}", "storage"));

    private static async Task<(StorageApi.LookupKeyResponse Key, IReadOnlyList<KeyLogEntry> Entries)> WaitForEntriesAsync(
        StorageApi.Storage.StorageClient client, string kid, int count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                var key = await client.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = kid }, cancellationToken: ct);
                var entries = key.Entries.Select(e => KeyLogEntry.Parse(e.EntryJson.ToByteArray())).ToList();
                if (entries.Count >= count || DateTime.UtcNow > deadline)
                {
                    Assert.Equal(count, entries.Count);
                    return (key, entries);
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound && DateTime.UtcNow <= deadline)
            {
            }

            await Task.Delay(100, ct);
        }
    }

    private static async Task WaitForOutboxDrainAsync(KeyServiceStack stack, CancellationToken ct)
    {
        var outbox = stack.KeyService.Services.GetRequiredService<KeyOutbox>();
        var deadline = DateTime.UtcNow + Patience;
        while ((await outbox.CountsAsync(ct)).Pending > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the outbox did not drain");
            await Task.Delay(100, ct);
        }
    }
}
