using System.ComponentModel.DataAnnotations;

namespace Strongroom.Edge;

/// <summary>Bound from the <c>Edge</c> configuration section; routes and clusters live in <c>ReverseProxy</c>.</summary>
public sealed class EdgeOptions
{
    public const string SectionName = "Edge";

    [Required]
    public RateLimitOptions RateLimit { get; set; } = new();

    [Required]
    public BackendOptions Backends { get; set; } = new();
}

/// <summary>
/// Per-identity limits, applied to every request on the public listener before anything is
/// routed: a token bucket for the request rate and a cap on requests in flight (long streams).
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Bucket size: the burst one client may send at once.</summary>
    [Range(1, 1_000_000)]
    public int TokenLimit { get; set; } = 100;

    /// <summary>Tokens added to each client's bucket every <see cref="ReplenishmentPeriod"/>.</summary>
    [Range(1, 1_000_000)]
    public int TokensPerPeriod { get; set; } = 50;

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests (including open streams such as WatchJob) one client may have in flight.</summary>
    [Range(1, 100_000)]
    public int ConcurrentRequestLimit { get; set; } = 64;
}

/// <summary>How the edge connects to backends (always mTLS with its own certificate).</summary>
public sealed class BackendOptions
{
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pooled connections are recycled after this long, so a renewed edge certificate is presented.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);
}
