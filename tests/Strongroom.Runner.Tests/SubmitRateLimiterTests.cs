using Strongroom.Core;
using Strongroom.Runner.Domain;

namespace Strongroom.Runner.Tests;

public sealed class SubmitRateLimiterTests
{
    [Fact]
    public void A_flooding_client_is_held_to_its_burst_while_another_client_is_still_served()
    {
        using var limiter = new SubmitRateLimiter(new RunnerOptions { SubmitBurst = 3, SubmitsPerMinute = 1 });
        for (var i = 0; i < 3; i++)
        {
            limiter.Acquire("spiffe://strongroom/client/flood");
        }

        var refused = Assert.Throws<StrongroomException>(() => limiter.Acquire("spiffe://strongroom/client/flood"));
        Assert.Equal(ErrorKind.ResourceExhausted, refused.Kind);
        Assert.Contains("retry later", refused.Message, StringComparison.Ordinal);
        limiter.Acquire("spiffe://strongroom/client/calm");
    }
}
