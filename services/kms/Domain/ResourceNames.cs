using System.Globalization;
using System.Text.RegularExpressions;
using Strongroom.Core;

namespace Strongroom.Kms.Domain;

/// <summary><c>projects/{project}/locations/{location}</c>.</summary>
public sealed record LocationName(string Project, string Location)
{
    public override string ToString() => $"projects/{Project}/locations/{Location}";
}

/// <summary><c>projects/{p}/locations/{l}/keyRings/{keyRing}</c>.</summary>
public sealed record KeyRingName(LocationName Parent, string KeyRing)
{
    public override string ToString() => $"{Parent}/keyRings/{KeyRing}";
}

/// <summary><c>projects/{p}/locations/{l}/keyRings/{r}/cryptoKeys/{cryptoKey}</c>.</summary>
public sealed record CryptoKeyName(KeyRingName Parent, string CryptoKey)
{
    public override string ToString() => $"{Parent}/cryptoKeys/{CryptoKey}";

    public CryptoKeyVersionName Version(int number) => new(this, number);
}

/// <summary><c>…/cryptoKeys/{k}/cryptoKeyVersions/{version}</c>; versions are numbered from 1.</summary>
public sealed record CryptoKeyVersionName(CryptoKeyName Parent, int Version)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Parent}/cryptoKeyVersions/{Version}");
}

/// <summary>
/// Strict parsing of Cloud KMS resource names: exact segment count, literal collection names, no
/// empty, padded or extra segments, and identifier characters as Cloud KMS allows them. Anything
/// else is INVALID_ARGUMENT naming the field, before any lookup or authorization happens.
/// </summary>
public static partial class ResourceNames
{
    /// <summary>Longest resource name accepted (Cloud KMS names are far shorter).</summary>
    public const int MaxNameLength = 512;

    public static LocationName ParseLocation(string field, string value)
    {
        var s = Split(field, value, 4, "projects", "locations");
        return new LocationName(Project(field, s[1]), Location(field, s[3]));
    }

    public static KeyRingName ParseKeyRing(string field, string value)
    {
        var s = Split(field, value, 6, "projects", "locations", "keyRings");
        return new KeyRingName(new LocationName(Project(field, s[1]), Location(field, s[3])), Id(field, s[5]));
    }

    public static CryptoKeyName ParseCryptoKey(string field, string value)
    {
        var s = Split(field, value, 8, "projects", "locations", "keyRings", "cryptoKeys");
        return KeyFromSegments(field, s);
    }

    public static CryptoKeyVersionName ParseCryptoKeyVersion(string field, string value)
    {
        var s = Split(field, value, 10, "projects", "locations", "keyRings", "cryptoKeys", "cryptoKeyVersions");
        return new CryptoKeyVersionName(KeyFromSegments(field, s), VersionId(field, s[9]));
    }

    /// <summary>Encrypt accepts either a CryptoKey (its primary encrypts) or one of its versions.</summary>
    public static (CryptoKeyName Key, int? Version) ParseCryptoKeyOrVersion(string field, string value)
    {
        var segments = value.Split('/');
        if (segments.Length == 10)
        {
            var version = ParseCryptoKeyVersion(field, value);
            return (version.Parent, version.Version);
        }

        return (ParseCryptoKey(field, value), null);
    }

    /// <summary>A key ring or crypto key id as a create request carries it: <c>[a-zA-Z0-9_-]{1,63}</c>.</summary>
    public static string Id(string field, string value) =>
        IdPattern().IsMatch(value) ? value : throw Invalid(field, "must match [a-zA-Z0-9_-]{1,63}");

    /// <summary>A version id as UpdateCryptoKeyPrimaryVersion carries it: a decimal number from 1, no leading zero.</summary>
    public static int VersionId(string field, string value)
    {
        if (!VersionPattern().IsMatch(value)
            || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw Invalid(field, "must be a version number from 1");
        }

        return number;
    }

    private static CryptoKeyName KeyFromSegments(string field, string[] s) =>
        new(new KeyRingName(new LocationName(Project(field, s[1]), Location(field, s[3])), Id(field, s[5])), Id(field, s[7]));

    private static string[] Split(string field, string value, int count, params string[] collections)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Invalid(field, "is required");
        }

        if (value.Length > MaxNameLength)
        {
            throw Invalid(field, "is too long");
        }

        var segments = value.Split('/');
        if (segments.Length != count)
        {
            throw Invalid(field, "must be " + Pattern(collections));
        }

        for (var i = 0; i < collections.Length; i++)
        {
            if (!string.Equals(segments[2 * i], collections[i], StringComparison.Ordinal))
            {
                throw Invalid(field, "must be " + Pattern(collections));
            }
        }

        return segments;
    }

    private static string Pattern(string[] collections) =>
        string.Join('/', collections.Select(c => c + "/{" + c.TrimEnd('s') + "}"));

    private static string Project(string field, string value) =>
        ProjectPattern().IsMatch(value) ? value : throw Invalid(field, "project must match [a-z0-9][a-z0-9-]{0,61}[a-z0-9]");

    private static string Location(string field, string value) =>
        ProjectPattern().IsMatch(value) ? value : throw Invalid(field, "location must match [a-z0-9][a-z0-9-]{0,61}[a-z0-9]");

    private static StrongroomException Invalid(string field, string description) => StrongroomException.InvalidArgument(field, description);

    [GeneratedRegex(@"\A[a-zA-Z0-9_-]{1,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex ProjectPattern();

    [GeneratedRegex(@"\A[1-9][0-9]{0,9}\z", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
