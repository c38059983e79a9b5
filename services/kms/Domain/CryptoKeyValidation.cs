using System.Text.RegularExpressions;
using Strongroom.Core;

namespace Strongroom.Kms.Domain;

/// <summary>The destroy grace periods and labels a crypto key may have, checked before any state is touched.</summary>
internal static partial class CryptoKeyValidation
{
    public static TimeSpan Grace(TimeSpan grace, KeyManagerSettings settings)
    {
        if (grace < TimeSpan.Zero || grace > KeyManagerSettings.MaxDestroyGrace)
        {
            throw StrongroomException.InvalidArgument("crypto_key.destroy_scheduled_duration", "must be between 24 hours and 120 days");
        }

        if (grace < KeyManagerSettings.MinDestroyGrace && !settings.AllowZeroDestroyGrace)
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

    public static SortedDictionary<string, string> Labels(IReadOnlyDictionary<string, string> labels)
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

    [GeneratedRegex(@"\A[a-z][a-z0-9_-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelKey();

    [GeneratedRegex(@"\A[a-z0-9_-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();
}
