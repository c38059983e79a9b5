using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.KeyCustody;

/// <summary>
/// Custody of one service's application keys. Each key has its own kms CryptoKey; application
/// version N's private key is sealed under a fresh DEK, and that DEK is wrapped by the kms version
/// created for N — so destroying N also destroys the only KEK that can unwrap it (crypto-shredding
/// that survives old copies of the store). Unwrapped keys live only in memory, in
/// <see cref="UnwrappedKeyCache"/>, whose entries re-check their version state at least every
/// <see cref="KeyCustodyOptions.StateRecheckInterval"/>. This class owns the keys' lifecycle:
/// create, rotate/import, state changes, the destruction and rotation sweeps.
/// </summary>
public sealed partial class KeyCustodian : IDisposable
{
    private readonly IKeyStore _store;
    private readonly IKeyEncryptionService _kek;
    private readonly Dictionary<string, IKeyMaterialKind> _kinds;
    private readonly KeyCustodyOptions _options;
    private readonly TimeProvider _time;
    private readonly string _service;
    private readonly IReadOnlyList<IKeyLifecycleObserver> _observers;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _keyGates = new(StringComparer.Ordinal);
    private readonly KeyAssociatedData _associatedData;
    private readonly UnwrappedKeyCache _unwrapped;
    private readonly KeyRowCache _keyRows;

    public KeyCustodian(
        IKeyStore store,
        IKeyEncryptionService kek,
        IEnumerable<IKeyMaterialKind> kinds,
        KeyCustodyOptions options,
        string service,
        TimeProvider? time = null,
        IEnumerable<IKeyLifecycleObserver>? observers = null)
    {
        _store = store;
        _kek = kek;
        _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);
        _options = options;
        _service = service;
        _time = time ?? TimeProvider.System;
        _observers = observers?.ToList() ?? [];
        _associatedData = new KeyAssociatedData(service);
        _unwrapped = new UnwrappedKeyCache(store, kek, _kinds, options, _associatedData, _time);
        _keyRows = new KeyRowCache(options, _time);
    }

    /// <summary>kms Decrypt calls made so far: one per key version per process, never per message.</summary>
    public long KmsDecryptCalls => _unwrapped.KmsDecryptCalls;

    private long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    public async Task<ManagedKey> CreateKeyAsync(string name, string kind, TimeSpan? rotationPeriod, TimeSpan? destroyGrace, CancellationToken cancellationToken, bool skipInitialVersion = false)
    {
        ValidateName(name);
        if (!_kinds.ContainsKey(kind))
        {
            throw StrongroomException.InvalidArgument("kind", $"unknown key kind '{kind}'");
        }

        var rotation = rotationPeriod ?? _options.DefaultRotationPeriod;
        ValidateRotation(rotation);

        var grace = destroyGrace ?? _options.DefaultDestroyGrace;
        if (grace < TimeSpan.Zero || (grace == TimeSpan.Zero && !_options.AllowZeroDestroyGrace) || grace > TimeSpan.FromDays(120))
        {
            throw StrongroomException.InvalidArgument("destroy_grace", _options.AllowZeroDestroyGrace
                ? "must be between 0 and 120 days"
                : "must be between 1 second and 120 days (0 is for development only)");
        }

        await _kek.EnsureCryptoKeyAsync(name, grace, cancellationToken);
        var now = Now;
        var key = new ManagedKey(name, kind, 0, 1, rotation, grace, now, NextRotation(now, rotation));
        if (!await _store.TryCreateKeyAsync(key, cancellationToken))
        {
            throw StrongroomException.AlreadyExists($"key '{name}'");
        }

        if (!skipInitialVersion)
        {
            await RotateAsync(name, cancellationToken);
        }

        var created = (await _store.GetKeyAsync(name, cancellationToken))!;
        await NotifyAsync(KeyLifecycleEvent.Created, created, null, cancellationToken);
        return created;
    }

    /// <summary>Creates the next version (a fresh key pair under a fresh kms version) and makes it primary.</summary>
    public Task<KeyVersion> RotateAsync(string name, CancellationToken cancellationToken) =>
        AddVersionAsync(name, privateKey: null, makePrimary: true, cancellationToken);

    /// <summary>Adds an operator-imported private key as the next version (primary unless told otherwise).</summary>
    public Task<KeyVersion> ImportVersionAsync(string name, byte[] privateKey, CancellationToken cancellationToken, bool makePrimary = true) =>
        AddVersionAsync(name, privateKey, makePrimary, cancellationToken);

    private async Task<KeyVersion> AddVersionAsync(string name, byte[]? privateKey, bool makePrimary, CancellationToken cancellationToken)
    {
        var gate = _keyGates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        byte[]? generated = null;
        try
        {
            var key = await RequireKeyAsync(name, cancellationToken);
            var kind = _kinds[key.Kind];
            var versions = await _store.ListVersionsAsync(name, cancellationToken);
            var number = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;

            byte[] publicKey;
            if (privateKey is null)
            {
                (generated, publicKey) = kind.Generate();
            }
            else
            {
                try
                {
                    publicKey = kind.PublicKeyOf(privateKey);
                }
                catch (Exception ex) when (ex is CryptographicException or CryptoException or ArgumentException)
                {
                    throw StrongroomException.InvalidArgument("private_key", $"not a valid {key.Kind} private key");
                }
            }

            var secret = generated ?? privateKey!;
            // One kms version per application version: created now, primary from now on.
            var firstUnused = versions.Count == 0 ? 1 : versions.Max(v => v.KmsVersion) + 1;
            var kmsVersion = await _kek.PrepareVersionAsync(name, firstUnused, cancellationToken);
            if (versions.Any(v => v.KmsVersion == kmsVersion))
            {
                // The shredding guarantee rests on this: one kms version per application version.
                throw new InvalidOperationException("kms version already wraps another application version");
            }

            var aad = AssociatedData(name, number);
            using var sealedKey = DataKeyEnvelope.Seal(secret, aad);
            var dek = sealedKey.DataKey.ToArray();
            byte[] wrappedDek;
            try
            {
                wrappedDek = await _kek.EncryptAsync(name, kmsVersion, dek, aad, cancellationToken);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(dek);
            }

            var now = Now;
            var version = new KeyVersion(name, number, KeyVersionState.Enabled, publicKey, kmsVersion, now, null, null, Imported: privateKey is not null);
            long? next = makePrimary || key.PrimaryVersion == 0 ? NextRotation(now, key.RotationPeriod) : null;
            await _store.AddVersionAsync(version, new WrappedKeyMaterial(sealedKey.Blob, wrappedDek), next, cancellationToken);
            ForgetKeyRow(name);
            var updated = (await _store.GetKeyAsync(name, cancellationToken))!;
            await NotifyAsync(privateKey is null ? KeyLifecycleEvent.Rotated : KeyLifecycleEvent.Imported, updated, version, cancellationToken);
            return version;
        }
        finally
        {
            if (generated is not null)
            {
                CryptographicOperations.ZeroMemory(generated);
            }

            gate.Release();
        }
    }

    public async Task<ManagedKey> GetKeyAsync(string name, CancellationToken cancellationToken) => await RequireKeyAsync(name, cancellationToken);

    public Task<IReadOnlyList<ManagedKey>> ListKeysAsync(CancellationToken cancellationToken) => _store.ListKeysAsync(cancellationToken);

    public Task<IReadOnlyList<KeyVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken) => _store.ListVersionsAsync(name, cancellationToken);

    /// <summary>The version's public half and state; <paramref name="version"/> null means the primary.</summary>
    public async Task<KeyVersion> GetVersionAsync(string name, int? version, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(name, cancellationToken);
        var number = version ?? key.PrimaryVersion;
        return await _store.GetVersionAsync(name, number, cancellationToken)
            ?? throw StrongroomException.NotFound($"key '{name}' version {number}");
    }

    /// <summary>
    /// Borrows the unwrapped private key of an enabled version at or above the minimum. The kms is
    /// asked once per version per process; later calls are served from memory.
    /// </summary>
    public async Task<KeyLease> AcquireAsync(string name, int? version, CancellationToken cancellationToken)
    {
        var key = await KeyForUseAsync(name, cancellationToken);
        return await _unwrapped.AcquireAsync(key, version ?? key.PrimaryVersion, cancellationToken);
    }

    /// <summary>Every usable version (enabled, at or above the minimum), newest first, for trial decryption.</summary>
    public async Task<IReadOnlyList<KeyLease>> AcquireAllUsableAsync(string name, CancellationToken cancellationToken)
    {
        var key = await KeyForUseAsync(name, cancellationToken);
        var versions = await _store.ListVersionsAsync(name, cancellationToken);
        var leases = new List<KeyLease>();
        try
        {
            foreach (var v in versions.Where(v => v.State == KeyVersionState.Enabled && v.Version >= key.MinimumVersion).OrderByDescending(v => v.Version))
            {
                leases.Add(await AcquireAsync(name, v.Version, cancellationToken));
            }
        }
        catch
        {
            foreach (var l in leases)
            {
                l.Dispose();
            }

            throw;
        }

        return leases;
    }

    public async Task<KeyVersion> DisableVersionAsync(string name, int version, CancellationToken cancellationToken)
    {
        var (key, v) = await RequireRetirableVersionAsync(name, version, cancellationToken);

        Evict(name, version);
        await _kek.DisableVersionAsync(name, v.KmsVersion, cancellationToken);
        await _store.UpdateVersionStateAsync(name, version, KeyVersionState.Disabled, null, null, cancellationToken);
        var updated = v with { State = KeyVersionState.Disabled };
        await NotifyAsync(KeyLifecycleEvent.Disabled, key, updated, cancellationToken);
        return updated;
    }

    public async Task<KeyVersion> EnableVersionAsync(string name, int version, CancellationToken cancellationToken)
    {
        var (key, v) = await RequireVersionAsync(name, version, cancellationToken);
        if (v.State is not (KeyVersionState.Enabled or KeyVersionState.Disabled))
        {
            throw StrongroomException.FailedPrecondition($"key '{name}' version {version} is {Describe(v.State)}; restore it first");
        }

        if (v.Revoked)
        {
            throw StrongroomException.FailedPrecondition($"key '{name}' version {version} is revoked and stays disabled");
        }

        await _kek.EnableVersionAsync(name, v.KmsVersion, cancellationToken);
        await _store.UpdateVersionStateAsync(name, version, KeyVersionState.Enabled, null, null, cancellationToken);
        var updated = v with { State = KeyVersionState.Enabled };
        await NotifyAsync(KeyLifecycleEvent.Enabled, key, updated, cancellationToken);
        return updated;
    }

    /// <summary>Schedules destruction after the key's grace; with a zero grace (development) destroys now.</summary>
    public async Task<KeyVersion> ScheduleDestroyVersionAsync(string name, int version, CancellationToken cancellationToken)
    {
        var (key, v) = await RequireRetirableVersionAsync(name, version, cancellationToken);

        Evict(name, version);
        await _kek.ScheduleDestroyVersionAsync(name, v.KmsVersion, cancellationToken);
        var destroyAt = Now + (long)key.DestroyGrace.TotalSeconds;
        await _store.UpdateVersionStateAsync(name, version, KeyVersionState.DestroyScheduled, destroyAt, null, cancellationToken);
        var updated = v with { State = KeyVersionState.DestroyScheduled, DestroyAt = destroyAt };
        await NotifyAsync(KeyLifecycleEvent.DestroyScheduled, key, updated, cancellationToken);
        if (key.DestroyGrace == TimeSpan.Zero)
        {
            await DestroyDueAsync(cancellationToken);
            return (await _store.GetVersionAsync(name, version, cancellationToken))!;
        }

        return updated;
    }

    /// <summary>Cancels a scheduled destruction; the version comes back disabled, as in Cloud KMS.</summary>
    public async Task<KeyVersion> RestoreVersionAsync(string name, int version, CancellationToken cancellationToken)
    {
        var (key, v) = await RequireVersionAsync(name, version, cancellationToken);
        if (v.State != KeyVersionState.DestroyScheduled)
        {
            throw StrongroomException.FailedPrecondition($"key '{name}' version {version} is {Describe(v.State)}, not scheduled for destruction");
        }

        await _kek.RestoreVersionAsync(name, v.KmsVersion, cancellationToken);
        await _store.UpdateVersionStateAsync(name, version, KeyVersionState.Disabled, null, null, cancellationToken);
        var updated = v with { State = KeyVersionState.Disabled, DestroyAt = null };
        await NotifyAsync(KeyLifecycleEvent.Restored, key, updated, cancellationToken);
        return updated;
    }

    /// <summary>Destroys every version whose grace has elapsed: erases its wrapped material from the store.</summary>
    public async Task<int> DestroyDueAsync(CancellationToken cancellationToken)
    {
        var destroyed = 0;
        var now = Now;
        foreach (var key in await _store.ListKeysAsync(cancellationToken))
        {
            foreach (var v in await _store.ListVersionsAsync(key.Name, cancellationToken))
            {
                if (v.State != KeyVersionState.DestroyScheduled || v.DestroyAt > now)
                {
                    continue;
                }

                Evict(key.Name, v.Version);
                await _store.EraseMaterialAsync(key.Name, v.Version, cancellationToken);
                await _store.UpdateVersionStateAsync(key.Name, v.Version, KeyVersionState.Destroyed, v.DestroyAt, now, cancellationToken);
                await NotifyAsync(KeyLifecycleEvent.Destroyed, key, v with { State = KeyVersionState.Destroyed, DestroyedAt = now }, cancellationToken);
                destroyed++;
            }
        }

        return destroyed;
    }

    public async Task<ManagedKey> SetMinimumVersionAsync(string name, int minimum, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(name, cancellationToken);
        if (minimum < 1 || minimum > key.PrimaryVersion)
        {
            throw StrongroomException.InvalidArgument("minimum_version", $"must be between 1 and the primary version {key.PrimaryVersion}");
        }

        var updated = key with { MinimumVersion = minimum };
        await _store.UpdateKeyAsync(updated, cancellationToken);
        ForgetKeyRow(name);
        _unwrapped.EvictBelow(name, minimum);

        await NotifyAsync(KeyLifecycleEvent.MinimumVersionChanged, updated, null, cancellationToken);
        return updated;
    }

    public async Task<ManagedKey> SetRotationPeriodAsync(string name, TimeSpan period, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(name, cancellationToken);
        ValidateRotation(period);
        var versions = await _store.ListVersionsAsync(name, cancellationToken);
        var lastRotation = versions.Count == 0 ? key.CreatedAt : versions.Max(v => v.CreatedAt);
        var updated = key with { RotationPeriod = period, NextRotationAt = NextRotation(lastRotation, period) };
        await _store.UpdateKeyAsync(updated, cancellationToken);
        ForgetKeyRow(name);
        return updated;
    }

    /// <summary>Rotates every key whose period has elapsed (called periodically by the service).</summary>
    public async Task<int> RotateDueAsync(CancellationToken cancellationToken)
    {
        var rotated = 0;
        foreach (var key in await _store.ListKeysAsync(cancellationToken))
        {
            if (key.NextRotationAt != 0 && key.NextRotationAt <= Now && key.PrimaryVersion != 0)
            {
                await RotateAsync(key.Name, cancellationToken);
                rotated++;
            }
        }

        return rotated;
    }

    /// <summary>Marks a compromised version revoked and disables it (destroy it separately).</summary>
    public async Task<KeyVersion> RevokeVersionAsync(string name, int version, CancellationToken cancellationToken)
    {
        var (key, v) = await RequireVersionAsync(name, version, cancellationToken);
        if (version == key.PrimaryVersion)
        {
            throw StrongroomException.FailedPrecondition($"version {version} is the primary version of key '{name}': rotate first");
        }

        Evict(name, version);
        await _store.SetRevokedAsync(name, version, cancellationToken);
        if (v.State == KeyVersionState.Enabled)
        {
            await _kek.DisableVersionAsync(name, v.KmsVersion, cancellationToken);
            await _store.UpdateVersionStateAsync(name, version, KeyVersionState.Disabled, null, null, cancellationToken);
        }

        var updated = (await _store.GetVersionAsync(name, version, cancellationToken))!;
        await NotifyAsync(KeyLifecycleEvent.Revoked, key, updated, cancellationToken);
        return updated;
    }

    public void Dispose() => _unwrapped.Dispose();

    private void Evict(string name, int version) => _unwrapped.Evict(name, version);

    private static string Describe(KeyVersionState? state) => KeyStates.Describe(state);

    private async Task<ManagedKey> RequireKeyAsync(string name, CancellationToken cancellationToken)
    {
        ValidateName(name);
        return await _store.GetKeyAsync(name, cancellationToken) ?? throw StrongroomException.NotFound($"key '{name}'");
    }

    /// <summary>The key row for signing and unwrapping, cached for the recheck interval (<see cref="KeyRowCache"/>).</summary>
    private Task<ManagedKey> KeyForUseAsync(string name, CancellationToken cancellationToken) =>
        _keyRows.GetAsync(name, RequireKeyAsync, cancellationToken);

    /// <summary>Called after every change to a key's row or versions made here.</summary>
    private void ForgetKeyRow(string name) => _keyRows.Forget(name);

    /// <summary>A version that may be disabled or scheduled for destruction: enabled or disabled, and not the primary.</summary>
    private async Task<(ManagedKey, KeyVersion)> RequireRetirableVersionAsync(string name, int version, CancellationToken cancellationToken)
    {
        var (key, v) = await RequireVersionAsync(name, version, cancellationToken);
        if (v.State is not (KeyVersionState.Enabled or KeyVersionState.Disabled))
        {
            throw StrongroomException.FailedPrecondition($"key '{name}' version {version} is {Describe(v.State)}");
        }

        if (version == key.PrimaryVersion)
        {
            throw StrongroomException.FailedPrecondition($"version {version} is the primary version of key '{name}': rotate first");
        }

        return (key, v);
    }

    private async Task<(ManagedKey, KeyVersion)> RequireVersionAsync(string name, int version, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(name, cancellationToken);
        var v = await _store.GetVersionAsync(name, version, cancellationToken)
            ?? throw StrongroomException.NotFound($"key '{name}' version {version}");
        return (key, v);
    }

    private byte[] AssociatedData(string name, int version) => _associatedData.For(name, version);

    private async Task NotifyAsync(KeyLifecycleEvent kind, ManagedKey key, KeyVersion? version, CancellationToken cancellationToken)
    {
        foreach (var observer in _observers)
        {
            await observer.OnKeyEventAsync(kind, key, version, cancellationToken);
        }
    }

    private static void ValidateRotation(TimeSpan rotation)
    {
        if (rotation != TimeSpan.Zero && (rotation < TimeSpan.FromHours(1) || rotation > TimeSpan.FromDays(3650)))
        {
            throw StrongroomException.InvalidArgument("rotation_period", "must be 0 (on demand only) or between 1 hour and 10 years");
        }
    }

    private static long NextRotation(long from, TimeSpan period) => period == TimeSpan.Zero ? 0 : from + (long)period.TotalSeconds;

    public static void ValidateName(string name)
    {
        if (!KeyNamePattern().IsMatch(name))
        {
            throw StrongroomException.InvalidArgument("name", "key names are 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
        }
    }

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyNamePattern();
}
