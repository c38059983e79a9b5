using Google.Protobuf;
using Strongroom.KeyCustody;
using Strongroom.Pki;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Signer.Domain;

/// <summary>
/// Turns every durable lifecycle change into key-log publications (storage's PublishKey /
/// PublishKeyEvent requests) written to the signer's outbox in the same order. Nothing here talks
/// to storage: <see cref="OutboxWorker"/> delivers, so signing and key administration never wait
/// for storage, and a publication is never lost once the change it reports is durable.
/// </summary>
public sealed class KeyPublisher(SignerState state, SignerOptions options, IKeyStore store, OutboxSignal signal, TimeProvider time) : IKeyLifecycleObserver
{
    public const string PublishKeyKind = "PublishKey";
    public const string PublishKeyEventKind = "PublishKeyEvent";

    public async Task OnKeyEventAsync(KeyLifecycleEvent kind, ManagedKey key, KeyVersion? version, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        // The change is already durable when we are told; a cancelled caller must not lose its publication.
        var token = CancellationToken.None;
        switch (kind)
        {
            case KeyLifecycleEvent.Rotated or KeyLifecycleEvent.Imported when version is not null:
                await state.EnqueueAsync(PublishKeyKind, PublishKey(key, version).ToByteArray(), now, token);
                if (version.Version == key.PrimaryVersion)
                {
                    await EventAsync(version, StorageApi.KeyEvent.Primary, version.CreatedAt, now);
                }

                break;
            case KeyLifecycleEvent.Enabled when version is not null:
                await EventAsync(version, StorageApi.KeyEvent.Enabled, now, now);
                break;
            case KeyLifecycleEvent.Disabled when version is not null:
                await EventAsync(version, StorageApi.KeyEvent.Disabled, now, now);
                break;
            case KeyLifecycleEvent.DestroyScheduled when version is not null:
                await EventAsync(version, StorageApi.KeyEvent.DestroyScheduled, now, now);
                break;
            case KeyLifecycleEvent.Restored when version is not null:
                await EventAsync(version, StorageApi.KeyEvent.Restored, now, now);
                break;
            case KeyLifecycleEvent.Destroyed when version is not null:
                // Verifiers compare iat with this time: signatures before it stay valid.
                await EventAsync(version, StorageApi.KeyEvent.Destroyed, version.DestroyedAt ?? now, now);
                break;
            case KeyLifecycleEvent.Revoked when version is not null:
                await EventAsync(version, StorageApi.KeyEvent.Revoked, now, now);
                break;
            case KeyLifecycleEvent.MinimumVersionChanged:
                var minimum = await store.GetVersionAsync(key.Name, key.MinimumVersion, token);
                if (minimum is not null)
                {
                    await EventAsync(minimum, StorageApi.KeyEvent.MinimumVersion, now, now);
                }

                break;
        }

        signal.Wake();
    }

    private StorageApi.PublishKeyRequest PublishKey(ManagedKey key, KeyVersion version)
    {
        var kid = SignerKeys.KidOf(version.PublicKey);
        return new StorageApi.PublishKeyRequest
        {
            Kid = kid,
            JwkJson = SignerKeys.JwkJsonOf(version.PublicKey, kid),
            OwnerIdentity = WorkloadIdentity.Signer.ToString(),
            Kind = key.Name == options.LogKeyName ? StorageApi.KeyKind.LogSigning : StorageApi.KeyKind.ResultSigning,
            KeyName = key.Name,
            Version = (uint)version.Version,
            CreateTime = version.CreatedAt,
        };
    }

    private Task EventAsync(KeyVersion version, StorageApi.KeyEvent keyEvent, long eventTime, long now) =>
        state.EnqueueAsync(
            PublishKeyEventKind,
            new StorageApi.PublishKeyEventRequest { Kid = SignerKeys.KidOf(version.PublicKey), Event = keyEvent, EventTime = eventTime }.ToByteArray(),
            now,
            CancellationToken.None);
}
