using System.Globalization;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Pki;

namespace Strongroom.Kms.Domain;

/// <summary>
/// Key rings, crypto keys and their versions with Cloud KMS's semantics: create, read, list, labels,
/// enable/disable, primary, schedule and restore destruction. Each change is re-sealed to the store
/// before it is reported (see <see cref="SharedKmsState.Commit"/>); reads run the due destructions
/// first so an elapsed grace always shows.
/// </summary>
public sealed partial class KeyAdministration
{
    private readonly SharedKmsState _state;
    private readonly DestructionSchedule _destructions;

    internal KeyAdministration(SharedKmsState state, DestructionSchedule destructions)
    {
        _state = state;
        _destructions = destructions;
    }

    // ---- key rings ----

    public KeyRingView CreateKeyRing(WorkloadIdentity caller, string parent, string keyRingId)
    {
        var name = new KeyRingName(ResourceNames.ParseLocation("parent", parent), ResourceNames.Id("key_ring_id", keyRingId));
        var configured = _state.ConfiguredOwner(name);
        string owner;
        if (caller.IsOperator)
        {
            owner = configured ?? "";
        }
        else
        {
            SharedKmsState.RequireKeyHolder(caller);
            if (configured is not null && configured != caller.Path)
            {
                throw SharedKmsState.Denied(caller, $"key ring {name} is bound to another identity");
            }

            owner = caller.Path;
        }

        lock (_state.Gate)
        {
            var ring = new KeyRingRecord { Name = name.ToString(), CreateTimeMs = _state.NowMs(), Owner = owner };
            if (!_state.Records.Rings.TryAdd(ring.Name, ring))
            {
                throw StrongroomException.AlreadyExists("key ring " + name);
            }

            _state.Commit(() => _state.Records.Rings.Remove(ring.Name));
            LogKeyRingCreated(_state.Logger, ring.Name, caller.ToString());
            return RecordViews.Of(ring);
        }
    }

    public KeyRingView GetKeyRing(WorkloadIdentity caller, string name)
    {
        var ringName = ResourceNames.ParseKeyRing("name", name);
        lock (_state.Gate)
        {
            return RecordViews.Of(_state.FindRing(caller, ringName, KeyAccess.Read));
        }
    }

    public Page<KeyRingView> ListKeyRings(WorkloadIdentity caller, string parent, int pageSize, string pageToken)
    {
        var location = ResourceNames.ParseLocation("parent", parent);
        var prefix = location + "/keyRings/";
        if (!caller.IsOperator)
        {
            SharedKmsState.RequireKeyHolder(caller);
        }

        lock (_state.Gate)
        {
            // A service sees only the rings it owns; operators see all.
            var visible = _state.Records.Rings.Values
                .Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Where(r => caller.IsOperator || _state.EffectiveOwner(r.Name, r) == caller.Path)
                .Select(r => (r.Name, RecordViews.Of(r)));
            return Pagination.Paginate(visible, pageSize, pageToken, _state.Settings);
        }
    }

    // ---- crypto keys ----

    public CryptoKeyView CreateCryptoKey(WorkloadIdentity caller, string parent, string cryptoKeyId, CryptoKeySpec spec)
    {
        var ringName = ResourceNames.ParseKeyRing("parent", parent);
        var id = ResourceNames.Id("crypto_key_id", cryptoKeyId);
        var grace = CryptoKeyValidation.Grace(spec.DestroyGrace ?? _state.Settings.DefaultDestroyGrace, _state.Settings);
        var labels = CryptoKeyValidation.Labels(spec.Labels);
        lock (_state.Gate)
        {
            var ring = _state.FindRing(caller, ringName, KeyAccess.Administer);
            // The key is bound to the service that creates it (an operator creates it for the ring's owner).
            var binding = caller.IsOperator
                ? _state.EffectiveOwner(ring.Name, ring) ?? throw StrongroomException.FailedPrecondition(
                    $"key ring {ringName} has no owning service; bind it in Kms:KeyRingBindings before an operator creates keys in it")
                : caller.Path;
            var name = new CryptoKeyName(ringName, id);
            if (ring.Keys.ContainsKey(id))
            {
                throw StrongroomException.AlreadyExists("crypto key " + name);
            }

            var key = new CryptoKeyRecord
            {
                Name = name.ToString(),
                CreateTimeMs = _state.NowMs(),
                DestroyGraceSeconds = (long)grace.TotalSeconds,
                Binding = binding,
                Labels = labels,
            };
            if (!spec.SkipInitialVersion)
            {
                AddVersion(key);
                key.Primary = 1;
            }

            ring.Keys.Add(id, key);
            _state.Commit(() =>
            {
                ring.Keys.Remove(id);
                foreach (var v in key.Versions)
                {
                    v.EraseMaterial();
                }
            });
            LogCryptoKeyCreated(_state.Logger, key.Name, binding, key.DestroyGraceSeconds, caller.ToString());
            return RecordViews.Of(key);
        }
    }

    public CryptoKeyView GetCryptoKey(WorkloadIdentity caller, string name)
    {
        var keyName = ResourceNames.ParseCryptoKey("name", name);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            return RecordViews.Of(_state.FindKey(caller, keyName, KeyAccess.Read));
        }
    }

    public Page<CryptoKeyView> ListCryptoKeys(WorkloadIdentity caller, string parent, int pageSize, string pageToken)
    {
        var ringName = ResourceNames.ParseKeyRing("parent", parent);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var ring = _state.FindRing(caller, ringName, KeyAccess.Read);
            var visible = ring.Keys.Values
                .Where(k => caller.IsOperator || k.Binding == caller.Path)
                .Select(k => (k.Name, RecordViews.Of(k)));
            return Pagination.Paginate(visible, pageSize, pageToken, _state.Settings);
        }
    }

    /// <summary>UpdateCryptoKey: only labels change; the grace period and binding are fixed at creation.</summary>
    public CryptoKeyView UpdateLabels(WorkloadIdentity caller, string name, IReadOnlyDictionary<string, string> labels)
    {
        var keyName = ResourceNames.ParseCryptoKey("crypto_key.name", name);
        var validated = CryptoKeyValidation.Labels(labels);
        lock (_state.Gate)
        {
            var key = _state.FindKey(caller, keyName, KeyAccess.Administer);
            var old = new SortedDictionary<string, string>(key.Labels, StringComparer.Ordinal);
            Replace(key.Labels, validated);
            _state.Commit(() => Replace(key.Labels, old));
            return RecordViews.Of(key);
        }

        static void Replace(SortedDictionary<string, string> target, SortedDictionary<string, string> source)
        {
            target.Clear();
            foreach (var (k, v) in source)
            {
                target[k] = v;
            }
        }
    }

    // ---- versions ----

    /// <summary>
    /// Adds the next version, ENABLED, with fresh random material. Rotation is this call followed by
    /// <see cref="UpdatePrimaryVersion"/>; a key without a primary takes the new version as primary.
    /// </summary>
    public KeyVersionView CreateCryptoKeyVersion(WorkloadIdentity caller, string parent)
    {
        var keyName = ResourceNames.ParseCryptoKey("parent", parent);
        lock (_state.Gate)
        {
            var key = _state.FindKey(caller, keyName, KeyAccess.Administer);
            var version = AddVersion(key);
            var madePrimary = key.Primary == 0;
            if (madePrimary)
            {
                key.Primary = version.Number;
            }

            _state.Commit(() =>
            {
                key.Versions.Remove(version);
                version.EraseMaterial();
                if (madePrimary)
                {
                    key.Primary = 0;
                }
            });
            LogVersionCreated(_state.Logger, key.Name, version.Number, caller.ToString());
            return RecordViews.Of(key, version);
        }
    }

    public KeyVersionView GetCryptoKeyVersion(WorkloadIdentity caller, string name)
    {
        var versionName = ResourceNames.ParseCryptoKeyVersion("name", name);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, versionName.Parent, KeyAccess.Read);
            return RecordViews.Of(key, SharedKmsState.FindVersion(key, versionName));
        }
    }

    public Page<KeyVersionView> ListCryptoKeyVersions(WorkloadIdentity caller, string parent, int pageSize, string pageToken)
    {
        var keyName = ResourceNames.ParseCryptoKey("parent", parent);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, keyName, KeyAccess.Read);
            // Zero-padded so the token's ordinal order is numeric order.
            var items = key.Versions.Select(v => (v.Number.ToString("D10", CultureInfo.InvariantCulture), RecordViews.Of(key, v)));
            return Pagination.Paginate(items, pageSize, pageToken, _state.Settings);
        }
    }

    /// <summary>Enable or disable (UpdateCryptoKeyVersion with update_mask "state"): only between ENABLED and DISABLED.</summary>
    public KeyVersionView SetVersionState(WorkloadIdentity caller, string name, KeyVersionState target)
    {
        var versionName = ResourceNames.ParseCryptoKeyVersion("crypto_key_version.name", name);
        if (target is not (KeyVersionState.Enabled or KeyVersionState.Disabled))
        {
            throw StrongroomException.InvalidArgument("crypto_key_version.state", "must be ENABLED or DISABLED");
        }

        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, versionName.Parent, KeyAccess.Administer);
            var version = SharedKmsState.FindVersion(key, versionName);
            if (version.State is not (KeyVersionState.Enabled or KeyVersionState.Disabled))
            {
                throw SharedKmsState.NotInState(versionName, version, "ENABLED or DISABLED");
            }

            var old = version.State;
            version.State = target;
            _state.Commit(() => version.State = old);
            LogVersionStateChanged(_state.Logger, versionName.ToString(), SharedKmsState.StateName(target), caller.ToString());
            return RecordViews.Of(key, version);
        }
    }

    public CryptoKeyView UpdatePrimaryVersion(WorkloadIdentity caller, string name, string cryptoKeyVersionId)
    {
        var keyName = ResourceNames.ParseCryptoKey("name", name);
        var number = ResourceNames.VersionId("crypto_key_version_id", cryptoKeyVersionId);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, keyName, KeyAccess.Administer);
            var version = SharedKmsState.FindVersion(key, keyName.Version(number));
            if (version.State != KeyVersionState.Enabled)
            {
                throw SharedKmsState.NotInState(keyName.Version(number), version, "ENABLED");
            }

            var old = key.Primary;
            key.Primary = number;
            _state.Commit(() => key.Primary = old);
            LogPrimaryChanged(_state.Logger, key.Name, number, caller.ToString());
            return RecordViews.Of(key);
        }
    }

    /// <summary>
    /// Schedules destruction after the key's grace period (DESTROY_SCHEDULED, restorable until then).
    /// There is no instant destroy: with a zero grace (development only) the sweep runs at once.
    /// </summary>
    public KeyVersionView DestroyCryptoKeyVersion(WorkloadIdentity caller, string name)
    {
        var versionName = ResourceNames.ParseCryptoKeyVersion("name", name);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, versionName.Parent, KeyAccess.Administer);
            var version = SharedKmsState.FindVersion(key, versionName);
            if (version.State is not (KeyVersionState.Enabled or KeyVersionState.Disabled))
            {
                throw SharedKmsState.NotInState(versionName, version, "ENABLED or DISABLED");
            }

            var old = version.State;
            version.State = KeyVersionState.DestroyScheduled;
            version.DestroyTimeMs = _state.NowMs() + (key.DestroyGraceSeconds * 1000);
            _state.Commit(() =>
            {
                version.State = old;
                version.DestroyTimeMs = null;
            });
            _destructions.Scheduled(version.DestroyTimeMs.Value);
            LogDestroyScheduled(_state.Logger, versionName.ToString(), DateTimeOffset.FromUnixTimeMilliseconds(version.DestroyTimeMs.Value), caller.ToString());
            _destructions.SweepDueLocked();
            return RecordViews.Of(key, version);
        }
    }

    /// <summary>Cancels a scheduled destruction; the version comes back DISABLED, as in Cloud KMS.</summary>
    public KeyVersionView RestoreCryptoKeyVersion(WorkloadIdentity caller, string name)
    {
        var versionName = ResourceNames.ParseCryptoKeyVersion("name", name);
        lock (_state.Gate)
        {
            // Sweep first: once the grace has elapsed the version is gone, whether or not a sweep ran yet.
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, versionName.Parent, KeyAccess.Administer);
            var version = SharedKmsState.FindVersion(key, versionName);
            if (version.State != KeyVersionState.DestroyScheduled)
            {
                throw SharedKmsState.NotInState(versionName, version, "DESTROY_SCHEDULED");
            }

            // Past its destroy time the version is gone even if the sweep could not yet re-seal the store.
            if (version.DestroyTimeMs <= _state.NowMs())
            {
                throw StrongroomException.FailedPrecondition($"crypto key version {versionName} reached its destroy time; it can no longer be restored");
            }

            var oldTime = version.DestroyTimeMs;
            version.State = KeyVersionState.Disabled;
            version.DestroyTimeMs = null;
            _state.Commit(() =>
            {
                version.State = KeyVersionState.DestroyScheduled;
                version.DestroyTimeMs = oldTime;
            });
            LogRestored(_state.Logger, versionName.ToString(), caller.ToString());
            return RecordViews.Of(key, version);
        }
    }

    private KeyVersionRecord AddVersion(CryptoKeyRecord key)
    {
        var material = KeyVersionRecord.NewMaterialBuffer();
        SecureRandom.Fill(material);
        var version = new KeyVersionRecord
        {
            Number = key.Versions.Count + 1,
            CreateTimeMs = _state.NowMs(),
            State = KeyVersionState.Enabled,
        };
        version.SetMaterial(material);
        key.Versions.Add(version);
        return version;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "key ring {Name} created by {Caller}")]
    private static partial void LogKeyRingCreated(ILogger logger, string name, string caller);

    [LoggerMessage(Level = LogLevel.Information, Message = "crypto key {Name} created by {Caller}, bound to {Binding}, destroy grace {GraceSeconds}s")]
    private static partial void LogCryptoKeyCreated(ILogger logger, string name, string binding, long graceSeconds, string caller);

    [LoggerMessage(Level = LogLevel.Information, Message = "crypto key {Name} version {Version} created by {Caller}")]
    private static partial void LogVersionCreated(ILogger logger, string name, int version, string caller);

    [LoggerMessage(Level = LogLevel.Information, Message = "crypto key version {Name} set {State} by {Caller}")]
    private static partial void LogVersionStateChanged(ILogger logger, string name, string state, string caller);

    [LoggerMessage(Level = LogLevel.Information, Message = "crypto key {Name} primary version set to {Version} by {Caller}")]
    private static partial void LogPrimaryChanged(ILogger logger, string name, int version, string caller);

    [LoggerMessage(Level = LogLevel.Warning, Message = "crypto key version {Name} scheduled for destruction at {DestroyTime:o} by {Caller}")]
    private static partial void LogDestroyScheduled(ILogger logger, string name, DateTimeOffset destroyTime, string caller);

    [LoggerMessage(Level = LogLevel.Information, Message = "crypto key version {Name} restored (now DISABLED) by {Caller}")]
    private static partial void LogRestored(ILogger logger, string name, string caller);
}
