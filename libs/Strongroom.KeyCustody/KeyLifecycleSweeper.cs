using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Strongroom.KeyCustody;

/// <summary>
/// Runs a service's one-time key preparation (creating keys it must have), then carries out due
/// rotations (the seed's 90 days by default) and destructions whose grace elapsed, every interval.
/// Preparation is retried at each tick until it succeeds, so a kms that is not up yet delays the
/// keys instead of stopping the service.
/// </summary>
public sealed partial class KeyLifecycleSweeper(
    KeyCustodian custodian,
    Func<CancellationToken, Task> prepare,
    TimeSpan interval,
    ILogger<KeyLifecycleSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        var prepared = false;
        do
        {
            try
            {
                if (!prepared)
                {
                    await prepare(stoppingToken);
                    prepared = true;
                }

                var rotated = await custodian.RotateDueAsync(stoppingToken);
                var destroyed = await custodian.DestroyDueAsync(stoppingToken);
                if (rotated + destroyed > 0)
                {
                    LogSweep(logger, rotated, destroyed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "key sweep: {Rotated} rotated, {Destroyed} destroyed")]
    private static partial void LogSweep(ILogger logger, int rotated, int destroyed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "key sweep failed; retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
