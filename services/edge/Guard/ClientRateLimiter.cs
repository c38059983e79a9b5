using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Strongroom.Pki;

namespace Strongroom.Edge.Guard;

/// <summary>
/// One token bucket and one in-flight cap per client identity (never per address: many clients may
/// share one, and one client may use many). A refused request waits in no queue.
/// </summary>
public sealed class ClientRateLimiter : IDisposable
{
    private static readonly TimeSpan AuditEvery = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<WorkloadIdentity> _limiter;
    private readonly ConcurrentDictionary<string, long> _lastAudited = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public ClientRateLimiter(IOptions<EdgeOptions> options, TimeProvider time)
    {
        var limits = options.Value.RateLimit;
        _time = time;
        var rate = PartitionedRateLimiter.Create<WorkloadIdentity, string>(client =>
            RateLimitPartition.GetTokenBucketLimiter(client.Path, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.TokenLimit,
                TokensPerPeriod = limits.TokensPerPeriod,
                ReplenishmentPeriod = limits.ReplenishmentPeriod,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        var inFlight = PartitionedRateLimiter.Create<WorkloadIdentity, string>(client =>
            RateLimitPartition.GetConcurrencyLimiter(client.Path, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.ConcurrentRequestLimit,
                QueueLimit = 0,
            }));
        _limiter = PartitionedRateLimiter.CreateChained(rate, inFlight);
    }

    /// <summary>A lease to hold for the whole request (it carries the in-flight permit); check <see cref="RateLimitLease.IsAcquired"/>.</summary>
    public RateLimitLease Acquire(WorkloadIdentity client) => _limiter.AttemptAcquire(client);

    /// <summary>
    /// Whether a refusal for this client should be audited now: at most once a minute per client,
    /// so a flood cannot turn the audit log into a second flood.
    /// </summary>
    public bool ShouldAudit(WorkloadIdentity client)
    {
        var now = _time.GetTimestamp();
        var every = (long)(AuditEvery.TotalSeconds * _time.TimestampFrequency);
        var last = _lastAudited.GetOrAdd(client.Path, now - every);
        return now - last >= every && _lastAudited.TryUpdate(client.Path, now, last);
    }

    public void Dispose() => _limiter.Dispose();
}
