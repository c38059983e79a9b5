using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.KeyPublishing;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Signer.Tests;

/// <summary>
/// Publishing never blocks signing: lifecycle changes go to a durable outbox and a worker delivers
/// them, in order, once storage answers. Storage here is <see cref="FakeStorage"/>, a test double of
/// the remote service (a real gRPC server with storage's mTLS identity), not services/storage.
/// </summary>
public sealed class OutboxTests(SignerStack stack) : IClassFixture<SignerStack>
{
    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Signing_works_while_storage_is_down_and_every_version_and_event_is_delivered_in_order_once_it_is_up()
    {
        var admin = stack.Admin();
        await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "published" });
        var v2 = await admin.RotateKeyAsync(new KeyAdminApi.RotateKeyRequest { KeyName = "published" });
        await admin.DisableKeyVersionAsync(new KeyAdminApi.DisableKeyVersionRequest { KeyName = "published", Version = 1 });
        await admin.RevokeKeyVersionAsync(new KeyAdminApi.RevokeKeyVersionRequest { KeyName = "published", Version = 1, Reason = "test" });
        var signed = await stack.Runner.SignAsync(new Api.SignRequest { KeyName = "published", Payload = ByteString.CopyFromUtf8("{}") });
        Assert.Equal(v2.Version.Kid, signed.Kid);

        var (pending, _) = await stack.Outbox.CountsAsync(CancellationToken.None);
        Assert.True(pending > 0, "publications wait in the outbox while storage is down");

        await using var storage = await FakeStorage.StartAsync(stack, stack.StoragePort);
        await WaitUntilAsync(async () => (await stack.Outbox.CountsAsync(CancellationToken.None)).Pending == 0, "the outbox to drain");

        var calls = storage.Received.Calls.ToList();
        Assert.All(calls, c => Assert.Equal("spiffe://strongroom/signer", c.Caller));
        var keys = calls.Select(c => c.Request).OfType<StorageApi.PublishKeyRequest>().ToList();
        var versions = (await admin.GetKeyAsync(new KeyAdminApi.GetKeyRequest { KeyName = "published" })).Key.Versions;
        foreach (var v in versions)
        {
            var published = Assert.Single(keys, k => k.Kid == v.Kid);
            Assert.Equal(StorageApi.KeyKind.ResultSigning, published.Kind);
            Assert.Equal("spiffe://strongroom/signer", published.OwnerIdentity);
            Assert.Equal("published", published.KeyName);
            Assert.Equal(v.Version, published.Version);
            using var jwk = JsonWebKey.Parse(published.JwkJson);
            Assert.Equal(v.Kid, jwk.Thumbprint());
        }

        var logKey = await stack.LogKeyAdmin().GetLogKeyAsync(new Api.GetLogKeyRequest());
        Assert.Equal(StorageApi.KeyKind.LogSigning, Assert.Single(keys, k => k.Kid == logKey.Kid).Kind);

        // A key's events come after its publication, in the order they happened.
        var v1Kid = versions.Single(v => v.Version == 1).Kid;
        var v1 = calls.Select((c, i) => (c.Request, i)).Where(x => x.Request switch
        {
            StorageApi.PublishKeyRequest k => k.Kid == v1Kid,
            StorageApi.PublishKeyEventRequest e => e.Kid == v1Kid,
            _ => false,
        }).Select(x => x.Request switch
        {
            StorageApi.PublishKeyRequest => "KEY",
            StorageApi.PublishKeyEventRequest e => e.Event.ToString(),
            _ => "",
        }).ToList();
        Assert.Equal(new[] { "KEY", "Primary", "Disabled", "Revoked" }, v1);
    }
}

/// <summary>Outbox rows storage refuses for good, and rows across a restart (its own stack: these tests deliver rows the first class counts on).</summary>
public sealed class OutboxRecoveryTests(SignerStack stack) : IClassFixture<SignerStack>
{
    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => OutboxTests.WaitUntilAsync(condition, what);

    [Fact]
    public async Task A_publication_storage_refuses_for_good_is_parked_and_does_not_block_the_rest()
    {
        await stack.Admin().CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "conflicting" });
        var kid = (await stack.Admin().GetKeyAsync(new KeyAdminApi.GetKeyRequest { KeyName = "conflicting" })).Key.Versions[0].Kid;
        await stack.Admin().CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "after-conflict" });

        await using var storage = await FakeStorage.StartAsync(stack, stack.StoragePort, r => r.Kid == kid ? StatusCode.AlreadyExists : null);
        await WaitUntilAsync(async () => (await stack.Outbox.CountsAsync(CancellationToken.None)).Pending == 0, "the outbox to drain");
        var (_, parked) = await stack.Outbox.CountsAsync(CancellationToken.None);
        Assert.True(parked >= 1);
        Assert.Contains(storage.Received.Calls, c => c.Request is StorageApi.PublishKeyRequest { KeyName: "after-conflict" });
    }

    [Fact]
    public async Task The_outbox_keeps_rows_until_delivery_and_survives_a_restart()
    {
        await stack.Admin().CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = "across-restart" });
        await stack.RestartSignerAsync();
        var (pending, _) = await stack.Outbox.CountsAsync(CancellationToken.None);
        Assert.True(pending > 0);
        var rows = await stack.Outbox.PendingAsync(1000, CancellationToken.None);
        Assert.Contains(rows, r => r.Kind == KeyPublisher.PublishKeyKind && StorageApi.PublishKeyRequest.Parser.ParseFrom(r.Body).KeyName == "across-restart");
    }
}
