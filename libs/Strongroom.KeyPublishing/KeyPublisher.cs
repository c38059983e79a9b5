using Google.Protobuf;
using Strongroom.KeyCustody;
using Strongroom.Pki;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.KeyPublishing;

/// <summary>What the key log is told about one key version: its RFC 7638 kid, public JWK and storage kind.</summary>
public sealed record PublishedKey(string Kid, string JwkJson, StorageApi.KeyKind Kind);

/// <summary>
/// Describes a key version for the key log; null when the key is not published at all (e.g.
/// keyservice's import key), in which case none of its versions or events are written.
/// </summary>
public delegate PublishedKey? KeyDescriber(ManagedKey key, KeyVersion version);

/// <summary>
/// Turns every durable lifecycle change into key-log publications (storage's PublishKey /
/// PublishKeyEvent requests) written to the service's <see cref="KeyOutbox"/> in the same order.
/// Nothing here talks to storage: <see cref="OutboxWorker"/> delivers, so key use and key
/// administration never wait for storage, and a publication is never lost once the change it
/// reports is durable.
/// </summary>
public sealed class KeyPublisher(KeyOutbox outbox, WorkloadIdentity owner, KeyDescriber describe, IKeyStore store, OutboxSignal signal, TimeProvider time) : IKeyLifecycleObserver
{
    public const string PublishKeyKind = "PublishKey";
    public const string PublishKeyEventKind = "PublishKeyEvent";

    public WorkloadIdentity Owner { get; } = owner;

    public async Task OnKeyEventAsync(KeyLifecycleEvent kind, ManagedKey key, KeyVersion? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        // The change is already durable when we are told; a cancelled caller must not lose its publication.
        var token = CancellationToken.None;
        switch (kind)
        {
            case KeyLifecycleEvent.Rotated or KeyLifecycleEvent.Imported when version is not null:
                if (describe(key, version) is not { } published)
                {
                    return;
                }

                await outbox.EnqueueAsync(PublishKeyKind, PublishKey(published, key, version).ToByteArray(), now, token);
                if (version.Version == key.PrimaryVersion)
                {
                    await EventAsync(published, StorageApi.KeyEvent.Primary, version.CreatedAt, now);
                }

                break;
            case KeyLifecycleEvent.Enabled when version is not null:
                await EventAsync(key, version, StorageApi.KeyEvent.Enabled, now, now);
                break;
            case KeyLifecycleEvent.Disabled when version is not null:
                await EventAsync(key, version, StorageApi.KeyEvent.Disabled, now, now);
                break;
            case KeyLifecycleEvent.DestroyScheduled when version is not null:
                await EventAsync(key, version, StorageApi.KeyEvent.DestroyScheduled, now, now);
                break;
            case KeyLifecycleEvent.Restored when version is not null:
                await EventAsync(key, version, StorageApi.KeyEvent.Restored, now, now);
                break;
            case KeyLifecycleEvent.Destroyed when version is not null:
                // Verifiers compare iat with this time: signatures before it stay valid.
                await EventAsync(key, version, StorageApi.KeyEvent.Destroyed, version.DestroyedAt ?? now, now);
                break;
            case KeyLifecycleEvent.Revoked when version is not null:
                await EventAsync(key, version, StorageApi.KeyEvent.Revoked, now, now);
                break;
            case KeyLifecycleEvent.MinimumVersionChanged:
                var minimum = await store.GetVersionAsync(key.Name, key.MinimumVersion, token);
                if (minimum is not null)
                {
                    await EventAsync(key, minimum, StorageApi.KeyEvent.MinimumVersion, now, now);
                }

                break;
            default:
                return;
        }

        signal.Wake();
    }

    private StorageApi.PublishKeyRequest PublishKey(PublishedKey published, ManagedKey key, KeyVersion version) => new()
    {
        Kid = published.Kid,
        JwkJson = published.JwkJson,
        OwnerIdentity = Owner.ToString(),
        Kind = published.Kind,
        KeyName = key.Name,
        Version = (uint)version.Version,
        CreateTime = version.CreatedAt,
    };

    private Task EventAsync(ManagedKey key, KeyVersion version, StorageApi.KeyEvent keyEvent, long eventTime, long now) =>
        describe(key, version) is { } published ? EventAsync(published, keyEvent, eventTime, now) : Task.CompletedTask;

    private Task EventAsync(PublishedKey published, StorageApi.KeyEvent keyEvent, long eventTime, long now) =>
        outbox.EnqueueAsync(
            PublishKeyEventKind,
            new StorageApi.PublishKeyEventRequest { Kid = published.Kid, Event = keyEvent, EventTime = eventTime }.ToByteArray(),
            now,
            CancellationToken.None);
}
