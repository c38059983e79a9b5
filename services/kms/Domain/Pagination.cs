using System.Text;
using Strongroom.Core;

namespace Strongroom.Kms.Domain;

/// <summary>Cloud KMS list paging: page sizes bounded by the settings, opaque tokens naming the last item returned.</summary>
internal static class Pagination
{
    /// <summary>Pages over items sorted by an ordinal key; the token is the last key returned, base64url-encoded.</summary>
    public static Page<T> Paginate<T>(IEnumerable<(string SortKey, T Item)> source, int pageSize, string pageToken, KeyManagerSettings settings)
    {
        if (pageSize < 0)
        {
            throw StrongroomException.InvalidArgument("page_size", "must not be negative");
        }

        var size = pageSize == 0 ? settings.DefaultPageSize : Math.Min(pageSize, settings.MaxPageSize);
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
}
