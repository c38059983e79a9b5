using System.Globalization;

namespace Strongroom.Kms.Domain;

/// <summary>The views the domain reports, made from its records (never the key material).</summary>
internal static class RecordViews
{
    public static KeyRingView Of(KeyRingRecord ring) => new(ring.Name, FromMs(ring.CreateTimeMs));

    public static CryptoKeyView Of(CryptoKeyRecord key) => new(
        key.Name,
        FromMs(key.CreateTimeMs),
        TimeSpan.FromSeconds(key.DestroyGraceSeconds),
        key.Find(key.Primary) is { } primary ? Of(key, primary) : null,
        new SortedDictionary<string, string>(key.Labels, StringComparer.Ordinal),
        key.Binding);

    public static KeyVersionView Of(CryptoKeyRecord key, KeyVersionRecord version) => new(
        key.Name + "/cryptoKeyVersions/" + version.Number.ToString(CultureInfo.InvariantCulture),
        version.Number,
        version.State,
        FromMs(version.CreateTimeMs),
        version.DestroyTimeMs is { } d ? FromMs(d) : null,
        version.DestroyEventTimeMs is { } e ? FromMs(e) : null);

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
