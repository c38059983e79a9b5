using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Kms.Storage;
using Strongroom.Pki;

namespace Strongroom.Kms.Domain;

/// <summary>
/// The local kms's logic, free of gRPC: key rings, crypto keys and versions with Cloud KMS's
/// semantics, Encrypt/Decrypt under KEK versions, scheduled destruction, and the per-key binding of
/// caller identities. Every change is re-sealed to the store before it is reported, and undone in
/// memory if the store cannot be written. One lock serializes everything: calls are rare (keyservice
/// and signer cache unwrapped keys) and each holds it for microseconds.
/// </summary>
public sealed partial class KeyManager : IDisposable
{
    public const int MaxPlaintextBytes = 64 * 1024;
    public const int MaxAadBytes = 64 * 1024;
    public const int MaxCiphertextBytes = MaxPlaintextBytes + KekCiphertext.Overhead;

    /// <summary>DESIGN §1: only these services hold application keys, so only they may own KEKs.</summary>
    private static readonly HashSet<string> KeyHolders = new(StringComparer.Ordinal) { "keyservice", "signer" };

    private readonly Lock _gate = new();
    private readonly KmsState _state;
    private readonly IKmsStatePersistence _persistence;
    private readonly KeyManagerSettings _settings;
    private readonly TimeProvider _time;
    private readonly PlaintextSizeRecorder _sizes;
    private readonly ILogger<KeyManager> _logger;
    private long _nextDueMs;

    internal KeyManager(KmsState state, IKmsStatePersistence persistence, KeyManagerSettings settings, TimeProvider time, PlaintextSizeRecorder sizes, ILogger<KeyManager> logger)
    {
        _state = state;
        _persistence = persistence;
        _settings = settings;
        _time = time;
        _sizes = sizes;
        _logger = logger;
        _nextDueMs = NextDue();
    }

    private enum Access
    {
        Read,
        Administer,

        /// <summary>Encrypt/Decrypt: only the bound service, never an operator.</summary>
        Use,
    }

    // ---- key rings ----

    public KeyRingView CreateKeyRing(WorkloadIdentity caller, string parent, string keyRingId)
    {
        var name = new KeyRingName(ResourceNames.ParseLocation("parent", parent), ResourceNames.Id("key_ring_id", keyRingId));
        var configured = ConfiguredOwner(name);
        string owner;
        if (caller.IsOperator)
        {
            owner = configured ?? "";
        }
        else
        {
            RequireKeyHolder(caller);
            if (configured is not null && configured != caller.Path)
            {
                throw Denied(caller, $"key ring {name} is bound to another identity");
            }

            owner = caller.Path;
        }

        lock (_gate)
        {
            var ring = new KeyRingRecord { Name = name.ToString(), CreateTimeMs = NowMs(), Owner = owner };
            if (!_state.Rings.TryAdd(ring.Name, ring))
            {
                throw StrongroomException.AlreadyExists("key ring " + name);
            }

            Commit(() => _state.Rings.Remove(ring.Name));
            LogKeyRingCreated(_logger, ring.Name, caller.ToString());
            return View(ring);
        }
    }

    public KeyRingView GetKeyRing(WorkloadIdentity caller, string name)
    {
        var ringName = ResourceNames.ParseKeyRing("name", name);
        lock (_gate)
        {
            return View(FindRing(caller, ringName, Access.Read));
        }
    }

    public Page<KeyRingView> ListKeyRings(WorkloadIdentity caller, string parent, int pageSize, string pageToken)
    {
        var location = ResourceNames.ParseLocation("parent", parent);
        var prefix = location + "/keyRings/";
        if (!caller.IsOperator)
        {
            RequireKeyHolder(caller);
        }

        lock (_gate)
        {
            // A service sees only the rings it owns; operators see all.
            var visible = _state.Rings.Values
                .Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Where(r => caller.IsOperator || EffectiveOwner(r.Name, r) == caller.Path)
                .Select(r => (r.Name, View(r)));
            return Paginate(visible, pageSize, pageToken);
        }
    }

    // ---- crypto keys ----

    public CryptoKeyView CreateCryptoKey(WorkloadIdentity caller, string parent, string cryptoKeyId, CryptoKeySpec spec)
    {
        var ringName = ResourceNames.ParseKeyRing("parent", parent);
        var id = ResourceNames.Id("crypto_key_id", cryptoKeyId);
        var grace = ValidateGrace(spec.DestroyGrace ?? _settings.DefaultDestroyGrace);
        var labels = ValidateLabels(spec.Labels);
        lock (_gate)
        {
            var ring = FindRing(caller, ringName, Access.Administer);
            // The key is bound to the service that creates it (an operator creates it for the ring's owner).
            var binding = caller.IsOperator
                ? EffectiveOwner(ring.Name, ring) ?? throw StrongroomException.FailedPrecondition(
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
                CreateTimeMs = NowMs(),
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
            Commit(() =>
            {
                ring.Keys.Remove(id);
                foreach (var v in key.Versions)
                {
                    v.EraseMaterial();
                }
            });
            LogCryptoKeyCreated(_logger, key.Name, binding, key.DestroyGraceSeconds, caller.ToString());
            return View(key);
        }
    }

    public CryptoKeyView GetCryptoKey(WorkloadIdentity caller, string name)
    {
        var keyName = ResourceNames.ParseCryptoKey("name", name);
        lock (_gate)
        {
            SweepDueLocked();
            return View(FindKey(caller, keyName, Access.Read));
        }
    }

    public Page<CryptoKeyView> ListCryptoKeys(WorkloadIdentity caller, string parent, int pageSize, string pageToken)
    {
        var ringName = ResourceNames.ParseKeyRing("parent", parent);
        lock (_gate)
        {
            SweepDueLocked();
            var ring = FindRing(caller, ringName, Access.Read);
            var visible = ring.Keys.Values
                .Where(k => caller.IsOperator || k.Binding == caller.Path)
                .Select(k => (k.Name, View(k)));
            return Paginate(visible, pageSize, pageToken);
        }
    }

    /// <summary>UpdateCryptoKey: only labels change; the grace period and binding are fixed at creation.</summary>
    public CryptoKeyView UpdateLabels(WorkloadIdentity caller, string name, IReadOnlyDictionary<string, string> labels)
    {
        var keyName = ResourceNames.ParseCryptoKey("crypto_key.name", name);
        var validated = ValidateLabels(labels);
        lock (_gate)
        {
            var key = FindKey(caller, keyName, Access.Administer);
            var old = new SortedDictionary<string, string>(key.Labels, StringComparer.Ordinal);
            Replace(key.Labels, validated);
            Commit(() => Replace(key.Labels, old));
            return View(key);
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
        lock (_gate)
        {
            var key = FindKey(caller, keyName, Access.Administer);
            var version = AddVersion(key);
            var madePrimary = key.Primary == 0;
            if (madePrimary)
            {
                key.Primary = version.Number;
            }

            Commit(() =>
            {
                key.Versions.Remove(version);
                version.EraseMaterial();
                if (madePrimary)
                {
                    key.Primary = 0;
                }
            });
            LogVersionCreated(_logger, key.Name, version.Number, caller.ToString());
            return View(key, version);
        }
    }

    public KeyVersionView GetCryptoKeyVersion(WorkloadIdentity caller, string name)
    {
        var versionName = ResourceNames.ParseCryptoKeyVersion("name", name);
        lock (_gate)
        {
            SweepDueLocked();
            var key = FindKey(caller, versionName.Parent, Access.Read);
            return View(key, FindVersion(key, versionName));
        }
    }

    public Page<KeyVersionView> ListCryptoKeyVersions(WorkloadIdentity caller, string parent, int pageSize, string pageToken)
    {
        var keyName = ResourceNames.ParseCryptoKey("parent", parent);
        lock (_gate)
        {
            SweepDueLocked();
            var key = FindKey(caller, keyName, Access.Read);
            // Zero-padded so the token's ordinal order is numeric order.
            var items = key.Versions.Select(v => (v.Number.ToString("D10", CultureInfo.InvariantCulture), View(key, v)));
            return Paginate(items, pageSize, pageToken);
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

        lock (_gate)
        {
            SweepDueLocked();
            var key = FindKey(caller, versionName.Parent, Access.Administer);
            var version = FindVersion(key, versionName);
            if (version.State is not (KeyVersionState.Enabled or KeyVersionState.Disabled))
            {
                throw NotInState(versionName, version, "ENABLED or DISABLED");
            }

            var old = version.State;
            version.State = target;
            Commit(() => version.State = old);
            LogVersionStateChanged(_logger, versionName.ToString(), StateName(target), caller.ToString());
            return View(key, version);
        }
    }

    public CryptoKeyView UpdatePrimaryVersion(WorkloadIdentity caller, string name, string cryptoKeyVersionId)
    {
        var keyName = ResourceNames.ParseCryptoKey("name", name);
        var number = ResourceNames.VersionId("crypto_key_version_id", cryptoKeyVersionId);
        lock (_gate)
        {
            SweepDueLocked();
            var key = FindKey(caller, keyName, Access.Administer);
            var version = FindVersion(key, keyName.Version(number));
            if (version.State != KeyVersionState.Enabled)
            {
                throw NotInState(keyName.Version(number), version, "ENABLED");
            }

            var old = key.Primary;
            key.Primary = number;
            Commit(() => key.Primary = old);
            LogPrimaryChanged(_logger, key.Name, number, caller.ToString());
            return View(key);
        }
    }

    /// <summary>
    /// Schedules destruction after the key's grace period (DESTROY_SCHEDULED, restorable until then).
    /// There is no instant destroy: with a zero grace (development only) the sweep runs at once.
    /// </summary>
    public KeyVersionView DestroyCryptoKeyVersion(WorkloadIdentity caller, string name)
    {
        var versionName = ResourceNames.ParseCryptoKeyVersion("name", name);
        lock (_gate)
        {
            SweepDueLocked();
            var key = FindKey(caller, versionName.Parent, Access.Administer);
            var version = FindVersion(key, versionName);
            if (version.State is not (KeyVersionState.Enabled or KeyVersionState.Disabled))
            {
                throw NotInState(versionName, version, "ENABLED or DISABLED");
            }

            var old = version.State;
            version.State = KeyVersionState.DestroyScheduled;
            version.DestroyTimeMs = NowMs() + (key.DestroyGraceSeconds * 1000);
            Commit(() =>
            {
                version.State = old;
                version.DestroyTimeMs = null;
            });
            _nextDueMs = Math.Min(_nextDueMs, version.DestroyTimeMs.Value);
            LogDestroyScheduled(_logger, versionName.ToString(), DateTimeOffset.FromUnixTimeMilliseconds(version.DestroyTimeMs.Value), caller.ToString());
            SweepDueLocked();
            return View(key, version);
        }
    }

    /// <summary>Cancels a scheduled destruction; the version comes back DISABLED, as in Cloud KMS.</summary>
    public KeyVersionView RestoreCryptoKeyVersion(WorkloadIdentity caller, string name)
    {
        var versionName = ResourceNames.ParseCryptoKeyVersion("name", name);
        lock (_gate)
        {
            // Sweep first: once the grace has elapsed the version is gone, whether or not a sweep ran yet.
            SweepDueLocked();
            var key = FindKey(caller, versionName.Parent, Access.Administer);
            var version = FindVersion(key, versionName);
            if (version.State != KeyVersionState.DestroyScheduled)
            {
                throw NotInState(versionName, version, "DESTROY_SCHEDULED");
            }

            // Past its destroy time the version is gone even if the sweep could not yet re-seal the store.
            if (version.DestroyTimeMs <= NowMs())
            {
                throw StrongroomException.FailedPrecondition($"crypto key version {versionName} reached its destroy time; it can no longer be restored");
            }

            var oldTime = version.DestroyTimeMs;
            version.State = KeyVersionState.Disabled;
            version.DestroyTimeMs = null;
            Commit(() =>
            {
                version.State = KeyVersionState.DestroyScheduled;
                version.DestroyTimeMs = oldTime;
            });
            LogRestored(_logger, versionName.ToString(), caller.ToString());
            return View(key, version);
        }
    }

    // ---- Encrypt / Decrypt ----

    public EncryptOutcome Encrypt(WorkloadIdentity caller, string name, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad, long? plaintextCrc32C, long? aadCrc32C)
    {
        var (keyName, requestedVersion) = ResourceNames.ParseCryptoKeyOrVersion("name", name);
        // Counted as received, before any check: the metric shows what callers send, refused or not.
        _sizes.Record(plaintext.Length);
        if (plaintext.IsEmpty)
        {
            throw StrongroomException.InvalidArgument("plaintext", "is required");
        }

        if (plaintext.Length > MaxPlaintextBytes)
        {
            throw StrongroomException.InvalidArgument("plaintext", $"must be at most {MaxPlaintextBytes} bytes");
        }

        if (aad.Length > MaxAadBytes)
        {
            throw StrongroomException.InvalidArgument("additional_authenticated_data", $"must be at most {MaxAadBytes} bytes");
        }

        VerifyChecksum(plaintext, plaintextCrc32C, "plaintext_crc32c", "plaintext");
        VerifyChecksum(aad, aadCrc32C, "additional_authenticated_data_crc32c", "additional_authenticated_data");
        lock (_gate)
        {
            SweepDueLocked();
            var key = FindKey(caller, keyName, Access.Use);
            var number = requestedVersion ?? key.Primary;
            if (number == 0)
            {
                throw StrongroomException.FailedPrecondition($"crypto key {keyName} has no primary version");
            }

            var versionName = keyName.Version(number);
            var version = FindVersion(key, versionName);
            if (version.State != KeyVersionState.Enabled)
            {
                throw NotInState(versionName, version, "ENABLED");
            }

            var ciphertext = KekCiphertext.Seal(version.Material!, key.Name, number, plaintext, aad);
            return new EncryptOutcome(versionName.ToString(), ciphertext, plaintextCrc32C is not null, aadCrc32C is not null);
        }
    }

    public DecryptOutcome Decrypt(WorkloadIdentity caller, string name, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> aad, long? ciphertextCrc32C, long? aadCrc32C)
    {
        // As in Cloud KMS, Decrypt names the CryptoKey; the ciphertext names its version.
        var keyName = ResourceNames.ParseCryptoKey("name", name);
        if (ciphertext.IsEmpty)
        {
            throw StrongroomException.InvalidArgument("ciphertext", "is required");
        }

        if (ciphertext.Length > MaxCiphertextBytes)
        {
            throw StrongroomException.InvalidArgument("ciphertext", $"must be at most {MaxCiphertextBytes} bytes");
        }

        if (aad.Length > MaxAadBytes)
        {
            throw StrongroomException.InvalidArgument("additional_authenticated_data", $"must be at most {MaxAadBytes} bytes");
        }

        VerifyChecksum(ciphertext, ciphertextCrc32C, "ciphertext_crc32c", "ciphertext");
        VerifyChecksum(aad, aadCrc32C, "additional_authenticated_data_crc32c", "additional_authenticated_data");
        lock (_gate)
        {
            SweepDueLocked();
            var key = FindKey(caller, keyName, Access.Use);
            if (!KekCiphertext.TryReadVersion(ciphertext, out var number) || key.Find(number) is not { } version)
            {
                throw StrongroomException.InvalidArgument("ciphertext", "decryption failed: the ciphertext is invalid for this crypto key");
            }

            if (version.State != KeyVersionState.Enabled)
            {
                throw NotInState(keyName.Version(number), version, "ENABLED");
            }

            var plaintext = KekCiphertext.TryOpen(version.Material!, key.Name, ciphertext, aad)
                ?? throw StrongroomException.InvalidArgument("ciphertext", "decryption failed: the ciphertext or additional authenticated data does not match");
            return new DecryptOutcome(plaintext, number == key.Primary);
        }
    }

    // ---- scheduled destruction ----

    /// <summary>
    /// Destroys every version whose grace has elapsed: marks it DESTROYED, re-seals the store without
    /// its material, and only then zeroes the material in memory. Runs lazily before every call and
    /// periodically in the background. Returns how many versions it destroyed.
    /// </summary>
    public int SweepDueDestructions()
    {
        lock (_gate)
        {
            return SweepDueLocked();
        }
    }

    private int SweepDueLocked()
    {
        var now = NowMs();
        if (now < _nextDueMs)
        {
            return 0;
        }

        var due = _state.Rings.Values.SelectMany(r => r.Keys.Values)
            .SelectMany(k => k.Versions.Select(v => (Key: k, Version: v)))
            .Where(x => x.Version.State == KeyVersionState.DestroyScheduled && x.Version.DestroyTimeMs <= now)
            .ToList();
        foreach (var (_, version) in due)
        {
            version.State = KeyVersionState.Destroyed;
            version.DestroyEventTimeMs = now;
        }

        if (due.Count > 0)
        {
            try
            {
                _persistence.Save(_state);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The versions stay DESTROY_SCHEDULED (past their time: unusable) and the next sweep retries.
                foreach (var (_, version) in due)
                {
                    version.State = KeyVersionState.DestroyScheduled;
                    version.DestroyEventTimeMs = null;
                }

                LogStoreWriteFailed(_logger, ex);
                return 0;
            }

            foreach (var (key, version) in due)
            {
                version.EraseMaterial();
                LogDestroyed(_logger, key.Name, version.Number);
            }
        }

        _nextDueMs = NextDue();
        return due.Count;
    }

    private long NextDue() =>
        _state.AllVersions.Where(v => v.State == KeyVersionState.DestroyScheduled)
            .Select(v => v.DestroyTimeMs ?? 0)
            .DefaultIfEmpty(long.MaxValue)
            .Min();

    // ---- authorization (per-key bindings) ----

    private string? ConfiguredOwner(KeyRingName name) =>
        _settings.KeyRingBindings.TryGetValue(name.ToString(), out var id) ? id.Path : null;

    /// <summary>The ring's owner: the configured binding if any, else the service that created it; null when none.</summary>
    private string? EffectiveOwner(string ringName, KeyRingRecord? ring)
    {
        if (_settings.KeyRingBindings.TryGetValue(ringName, out var configured))
        {
            return configured.Path;
        }

        return string.IsNullOrEmpty(ring?.Owner) ? null : ring.Owner;
    }

    private KeyRingRecord FindRing(WorkloadIdentity caller, KeyRingName name, Access access)
    {
        var ring = _state.Rings.GetValueOrDefault(name.ToString());
        if (caller.IsOperator)
        {
            // Operators administer every key but never use one: DESIGN §2 gives Encrypt/Decrypt to the bound service only.
            if (access == Access.Use)
            {
                throw Denied(caller, "operators may administer kms keys but never encrypt or decrypt with them");
            }
        }
        else
        {
            RequireKeyHolder(caller);
            var owner = EffectiveOwner(name.ToString(), ring);
            if ((owner is not null && owner != caller.Path) || (owner is null && ring is not null))
            {
                throw Denied(caller, $"key ring {name} is bound to another identity");
            }
        }

        return ring ?? throw StrongroomException.NotFound("key ring " + name);
    }

    private CryptoKeyRecord FindKey(WorkloadIdentity caller, CryptoKeyName name, Access access)
    {
        var ring = FindRing(caller, name.Parent, access);
        var key = ring.Keys.GetValueOrDefault(name.CryptoKey) ?? throw StrongroomException.NotFound("crypto key " + name);
        // The per-key binding, checked even inside a ring the caller owns: a key created for signer
        // stays signer's even if a ring binding is later changed.
        if (!caller.IsOperator && !string.Equals(key.Binding, caller.Path, StringComparison.Ordinal))
        {
            throw Denied(caller, $"crypto key {name} is bound to another identity");
        }

        return key;
    }

    private static KeyVersionRecord FindVersion(CryptoKeyRecord key, CryptoKeyVersionName name) =>
        key.Find(name.Version) ?? throw StrongroomException.NotFound("crypto key version " + name);

    private static void RequireKeyHolder(WorkloadIdentity caller)
    {
        if (!caller.IsService || !KeyHolders.Contains(caller.Path))
        {
            throw Denied(caller, "only keyservice, signer and operators may use the kms");
        }
    }

    private static StrongroomException Denied(WorkloadIdentity caller, string reason) =>
        StrongroomException.PermissionDenied($"permission denied for {caller}: {reason}");

    private static StrongroomException NotInState(CryptoKeyVersionName name, KeyVersionRecord version, string required) =>
        StrongroomException.FailedPrecondition($"crypto key version {name} is {StateName(version.State)}; it must be {required}");

    public static string StateName(KeyVersionState state) => state switch
    {
        KeyVersionState.Enabled => "ENABLED",
        KeyVersionState.Disabled => "DISABLED",
        KeyVersionState.DestroyScheduled => "DESTROY_SCHEDULED",
        _ => "DESTROYED",
    };

    // ---- validation ----

    private TimeSpan ValidateGrace(TimeSpan grace)
    {
        if (grace < TimeSpan.Zero || grace > KeyManagerSettings.MaxDestroyGrace)
        {
            throw StrongroomException.InvalidArgument("crypto_key.destroy_scheduled_duration", "must be between 24 hours and 120 days");
        }

        if (grace < KeyManagerSettings.MinDestroyGrace && !_settings.AllowZeroDestroyGrace)
        {
            throw StrongroomException.InvalidArgument("crypto_key.destroy_scheduled_duration",
                "must be at least 24 hours (shorter grace periods are allowed only with Kms:AllowZeroDestroyGrace, for development)");
        }

        if (grace.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw StrongroomException.InvalidArgument("crypto_key.destroy_scheduled_duration", "must be a whole number of seconds");
        }

        return grace;
    }

    private static SortedDictionary<string, string> ValidateLabels(IReadOnlyDictionary<string, string> labels)
    {
        if (labels.Count > 64)
        {
            throw StrongroomException.InvalidArgument("crypto_key.labels", "at most 64 labels");
        }

        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            if (!LabelKey().IsMatch(key) || !LabelValue().IsMatch(value))
            {
                throw StrongroomException.InvalidArgument("crypto_key.labels", "keys must match [a-z][a-z0-9_-]{0,62}, values [a-z0-9_-]{0,63}");
            }

            result[key] = value;
        }

        return result;
    }

    private static void VerifyChecksum(ReadOnlySpan<byte> data, long? expected, string field, string dataField)
    {
        // Cloud KMS semantics: a checksum that does not match means corruption in transit; refuse the request.
        if (expected is { } crc && !Crc32C.Matches(data, crc))
        {
            throw StrongroomException.InvalidArgument(field, $"does not match the data in {dataField} (corrupted in transit?)");
        }
    }

    // ---- persistence ----

    /// <summary>Re-seals the store; if it cannot be written, undoes the in-memory change and reports UNAVAILABLE.</summary>
    private void Commit(Action undo)
    {
        try
        {
            _persistence.Save(_state);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            undo();
            LogStoreWriteFailed(_logger, ex);
            throw StrongroomException.Unavailable("the kms store could not be written; the change was not made");
        }
    }

    private KeyVersionRecord AddVersion(CryptoKeyRecord key)
    {
        var material = KeyVersionRecord.NewMaterialBuffer();
        SecureRandom.Fill(material);
        var version = new KeyVersionRecord
        {
            Number = key.Versions.Count + 1,
            CreateTimeMs = NowMs(),
            State = KeyVersionState.Enabled,
        };
        version.SetMaterial(material);
        key.Versions.Add(version);
        return version;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- views and paging ----

    private static KeyRingView View(KeyRingRecord ring) => new(ring.Name, FromMs(ring.CreateTimeMs));

    private static CryptoKeyView View(CryptoKeyRecord key) => new(
        key.Name,
        FromMs(key.CreateTimeMs),
        TimeSpan.FromSeconds(key.DestroyGraceSeconds),
        key.Find(key.Primary) is { } primary ? View(key, primary) : null,
        new SortedDictionary<string, string>(key.Labels, StringComparer.Ordinal),
        key.Binding);

    private static KeyVersionView View(CryptoKeyRecord key, KeyVersionRecord version) => new(
        key.Name + "/cryptoKeyVersions/" + version.Number.ToString(CultureInfo.InvariantCulture),
        version.Number,
        version.State,
        FromMs(version.CreateTimeMs),
        version.DestroyTimeMs is { } d ? FromMs(d) : null,
        version.DestroyEventTimeMs is { } e ? FromMs(e) : null);

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>Pages over items sorted by an ordinal key; the token is the last key returned, base64url-encoded.</summary>
    private Page<T> Paginate<T>(IEnumerable<(string SortKey, T Item)> source, int pageSize, string pageToken)
    {
        if (pageSize < 0)
        {
            throw StrongroomException.InvalidArgument("page_size", "must not be negative");
        }

        var size = pageSize == 0 ? _settings.DefaultPageSize : Math.Min(pageSize, _settings.MaxPageSize);
        var all = source.OrderBy(x => x.SortKey, StringComparer.Ordinal).ToList();
        var start = 0;
        if (!string.IsNullOrEmpty(pageToken))
        {
            string after;
            try
            {
                after = Encoding.UTF8.GetString(Base64UrlDecode(pageToken));
            }
            catch (FormatException)
            {
                throw StrongroomException.InvalidArgument("page_token", "is not a token this server issued");
            }

            start = all.FindIndex(x => string.CompareOrdinal(x.SortKey, after) > 0);
            if (start < 0)
            {
                start = all.Count;
            }
        }

        var page = all.Skip(start).Take(size).ToList();
        var next = start + page.Count < all.Count ? Base64UrlEncode(Encoding.UTF8.GetBytes(page[^1].SortKey)) : "";
        return new Page<T>(page.Select(x => x.Item).ToList(), next, all.Count);
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _state.Dispose();
            (_persistence as IDisposable)?.Dispose();
        }
    }

    [GeneratedRegex(@"\A[a-z][a-z0-9_-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelKey();

    [GeneratedRegex(@"\A[a-z0-9_-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "crypto key {Name} version {Version} DESTROYED: material erased and the store re-sealed")]
    private static partial void LogDestroyed(ILogger logger, string name, int version);

    [LoggerMessage(Level = LogLevel.Error, Message = "the kms store could not be written")]
    private static partial void LogStoreWriteFailed(ILogger logger, Exception exception);
}
