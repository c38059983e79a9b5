using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Kms.Storage;
using Strongroom.Pki;

namespace Strongroom.Kms.Domain;

/// <summary>What a caller wants to do with a key ring or crypto key; decides who may.</summary>
internal enum KeyAccess
{
    Read,
    Administer,

    /// <summary>Encrypt/Decrypt: only the bound service, never an operator.</summary>
    Use,
}

/// <summary>
/// The one <see cref="KmsState"/> that administration, encryption and the destruction schedule all
/// work on, and the rules every one of them applies: one lock (the state is one consistent unit, so
/// a sweep never interleaves with a rotation or an Encrypt), re-sealing to the store with an in-memory
/// undo when it cannot be written, look-ups with the per-key binding checks, and the clock.
/// </summary>
internal sealed partial class SharedKmsState : IDisposable
{
    /// <summary>DESIGN §1: only these services hold application keys, so only they may own KEKs.</summary>
    private static readonly HashSet<string> KeyHolders = new(StringComparer.Ordinal) { "keyservice", "signer" };

    private readonly IKmsStatePersistence _persistence;
    private readonly TimeProvider _time;

    public SharedKmsState(KmsState records, IKmsStatePersistence persistence, KeyManagerSettings settings, TimeProvider time, ILogger logger)
    {
        Records = records;
        _persistence = persistence;
        Settings = settings;
        _time = time;
        Logger = logger;
    }

    /// <summary>Held for every read and change of <see cref="Records"/>; calls are rare and each holds it for microseconds.</summary>
    public Lock Gate { get; } = new();

    public KmsState Records { get; }

    public KeyManagerSettings Settings { get; }

    public ILogger Logger { get; }

    public long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- persistence ----

    /// <summary>Re-seals the store; if it cannot be written, undoes the in-memory change and reports UNAVAILABLE.</summary>
    public void Commit(Action undo)
    {
        if (!TrySave(undo))
        {
            throw StrongroomException.Unavailable("the kms store could not be written; the change was not made");
        }
    }

    /// <summary>Re-seals the store; if it cannot be written, runs <paramref name="undo"/>, logs, and returns false.</summary>
    public bool TrySave(Action undo)
    {
        Debug.Assert(Gate.IsHeldByCurrentThread, "the store is saved under the gate");
        try
        {
            _persistence.Save(Records);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            undo();
            LogStoreWriteFailed(Logger, ex);
            return false;
        }
    }

    // ---- authorization (per-key bindings) ----

    public string? ConfiguredOwner(KeyRingName name) =>
        Settings.KeyRingBindings.TryGetValue(name.ToString(), out var id) ? id.Path : null;

    /// <summary>The ring's owner: the configured binding if any, else the service that created it; null when none.</summary>
    public string? EffectiveOwner(string ringName, KeyRingRecord? ring)
    {
        if (Settings.KeyRingBindings.TryGetValue(ringName, out var configured))
        {
            return configured.Path;
        }

        return string.IsNullOrEmpty(ring?.Owner) ? null : ring.Owner;
    }

    public KeyRingRecord FindRing(WorkloadIdentity caller, KeyRingName name, KeyAccess access)
    {
        var ring = Records.Rings.GetValueOrDefault(name.ToString());
        if (caller.IsOperator)
        {
            // Operators administer every key but never use one: DESIGN §2 gives Encrypt/Decrypt to the bound service only.
            if (access == KeyAccess.Use)
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

    public CryptoKeyRecord FindKey(WorkloadIdentity caller, CryptoKeyName name, KeyAccess access)
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

    public static KeyVersionRecord FindVersion(CryptoKeyRecord key, CryptoKeyVersionName name) =>
        key.Find(name.Version) ?? throw StrongroomException.NotFound("crypto key version " + name);

    public static void RequireKeyHolder(WorkloadIdentity caller)
    {
        if (!caller.IsService || !KeyHolders.Contains(caller.Path))
        {
            throw Denied(caller, "only keyservice, signer and operators may use the kms");
        }
    }

    public static StrongroomException Denied(WorkloadIdentity caller, string reason) =>
        StrongroomException.PermissionDenied($"permission denied for {caller}: {reason}");

    public static StrongroomException NotInState(CryptoKeyVersionName name, KeyVersionRecord version, string required) =>
        StrongroomException.FailedPrecondition($"crypto key version {name} is {StateName(version.State)}; it must be {required}");

    public static string StateName(KeyVersionState state) => state switch
    {
        KeyVersionState.Enabled => "ENABLED",
        KeyVersionState.Disabled => "DISABLED",
        KeyVersionState.DestroyScheduled => "DESTROY_SCHEDULED",
        _ => "DESTROYED",
    };

    public void Dispose()
    {
        lock (Gate)
        {
            Records.Dispose();
            (_persistence as IDisposable)?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the kms store could not be written")]
    private static partial void LogStoreWriteFailed(ILogger logger, Exception exception);
}
