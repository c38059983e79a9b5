namespace Strongroom.KeyCustody;

/// <summary>What happened to a key version; published to the key log and the audit trail.</summary>
public enum KeyLifecycleEvent
{
    Created,
    Rotated,
    Imported,
    Enabled,
    Disabled,
    DestroyScheduled,
    Restored,
    Destroyed,
    MinimumVersionChanged,
    Revoked,
}

/// <summary>Told after each lifecycle change is durable (e.g. to publish it to storage's key log).</summary>
public interface IKeyLifecycleObserver
{
    Task OnKeyEventAsync(KeyLifecycleEvent kind, ManagedKey key, KeyVersion? version, CancellationToken cancellationToken);
}
