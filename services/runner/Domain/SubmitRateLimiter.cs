using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Strongroom.Core;

namespace Strongroom.Runner.Domain;

/// <summary>Per-client Submit budget (a token bucket per identity), so one client cannot fill the queue for everyone.</summary>
public sealed class SubmitRateLimiter(RunnerOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _buckets = new(StringComparer.Ordinal);

    public void Acquire(string identity)
    {
        var bucket = _buckets.GetOrAdd(identity, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.SubmitBurst,
            TokensPerPeriod = Math.Max(1, options.SubmitsPerMinute / 60),
            ReplenishmentPeriod = options.SubmitsPerMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / options.SubmitsPerMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        using var lease = bucket.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            throw StrongroomException.ResourceExhausted($"submit rate limit reached for this client ({options.SubmitsPerMinute} per minute, bursts of {options.SubmitBurst}); retry later");
        }
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values)
        {
            bucket.Dispose();
        }
    }
}
