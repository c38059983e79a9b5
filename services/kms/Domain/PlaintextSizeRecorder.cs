using System.Collections.Concurrent;

namespace Strongroom.Kms.Domain;

/// <summary>
/// Counts the plaintext sizes Encrypt receives (sizes only, never content). In Strongroom the kms
/// should only ever see 32-byte DEKs (DESIGN §1); tests assert it on the running server.
/// </summary>
public sealed class PlaintextSizeRecorder
{
    private readonly ConcurrentDictionary<int, long> _counts = new();

    public void Record(int size) => _counts.AddOrUpdate(size, 1, (_, n) => n + 1);

    /// <summary>Size in bytes → how many Encrypt requests carried a plaintext of that size.</summary>
    public IReadOnlyDictionary<int, long> Snapshot() => new SortedDictionary<int, long>(_counts);

    public long Total => _counts.Values.Sum();
}
