using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Strongroom.Kms.Domain;

/// <summary>
/// Carries out scheduled destructions: knows when the next one is due and, once it is, marks the
/// versions DESTROYED, re-seals the store without their material, and only then zeroes the material
/// in memory. Runs lazily inside every call that reads a version (so an elapsed grace always shows)
/// and periodically from the hosted <c>DestructionSweeper</c>.
/// </summary>
public sealed partial class DestructionSchedule
{
    private readonly SharedKmsState _state;

    /// <summary>The earliest destroy time of any DESTROY_SCHEDULED version; read and written under the gate.</summary>
    private long _nextDueMs;

    internal DestructionSchedule(SharedKmsState state)
    {
        _state = state;
        _nextDueMs = NextDue();
    }

    /// <summary>Destroys every version whose grace has elapsed. Returns how many versions it destroyed.</summary>
    public int SweepDueDestructions()
    {
        lock (_state.Gate)
        {
            return SweepDueLocked();
        }
    }

    /// <summary>A version was just scheduled for destruction at <paramref name="destroyTimeMs"/>; the caller holds the gate.</summary>
    internal void Scheduled(long destroyTimeMs) => _nextDueMs = Math.Min(_nextDueMs, destroyTimeMs);

    /// <summary>The sweep, for callers that already hold the gate.</summary>
    internal int SweepDueLocked()
    {
        Debug.Assert(_state.Gate.IsHeldByCurrentThread, "the sweep runs under the gate");
        var now = _state.NowMs();
        if (now < _nextDueMs)
        {
            return 0;
        }

        var due = _state.Records.Rings.Values.SelectMany(r => r.Keys.Values)
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
            var saved = _state.TrySave(() =>
            {
                // The versions stay DESTROY_SCHEDULED (past their time: unusable) and the next sweep retries.
                foreach (var (_, version) in due)
                {
                    version.State = KeyVersionState.DestroyScheduled;
                    version.DestroyEventTimeMs = null;
                }
            });
            if (!saved)
            {
                return 0;
            }

            foreach (var (key, version) in due)
            {
                version.EraseMaterial();
                LogDestroyed(_state.Logger, key.Name, version.Number);
            }
        }

        _nextDueMs = NextDue();
        return due.Count;
    }

    private long NextDue() =>
        _state.Records.AllVersions.Where(v => v.State == KeyVersionState.DestroyScheduled)
            .Select(v => v.DestroyTimeMs ?? 0)
            .DefaultIfEmpty(long.MaxValue)
            .Min();

    [LoggerMessage(Level = LogLevel.Warning, Message = "crypto key {Name} version {Version} DESTROYED: material erased and the store re-sealed")]
    private static partial void LogDestroyed(ILogger logger, string name, int version);
}
