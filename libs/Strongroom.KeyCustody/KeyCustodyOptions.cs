using System.ComponentModel.DataAnnotations;

namespace Strongroom.KeyCustody;

public sealed class KeyCustodyOptions
{
    /// <summary>Rotation period for keys created without one: the seed's 90 days.</summary>
    public TimeSpan DefaultRotationPeriod { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Grace between scheduling destruction and destroying (restorable meanwhile).</summary>
    public TimeSpan DefaultDestroyGrace { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Development only: lets a key be created with a zero destroy grace.</summary>
    public bool AllowZeroDestroyGrace { get; set; }

    /// <summary>
    /// How long an unwrapped key is used before its version state is re-read from the store, and
    /// how long the key's row (primary and minimum version) is used for signing and unwrapping: the
    /// bound within which a disable, destroy, rotation or minimum change made on another replica
    /// takes effect here. Changes made through this process take effect at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan StateRecheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
