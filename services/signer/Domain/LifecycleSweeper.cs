using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.KeyCustody;

namespace Strongroom.Signer.Domain;

/// <summary>
/// Creates the default JWS key and the log key when missing (retrying while the kms is not up), then
/// carries out due rotations (the seed's 90 days by default) and destructions whose grace elapsed.
/// </summary>
public sealed partial class LifecycleSweeper(KeyCustodian custodian, SignerKeys keys, SignerOptions options, ILogger<LifecycleSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval);
        var ensured = false;
        do
        {
            try
            {
                if (!ensured)
                {
                    await keys.EnsureKeysAsync(stoppingToken);
                    ensured = true;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "signer key sweep: {Rotated} rotated, {Destroyed} destroyed")]
    private static partial void LogSweep(ILogger logger, int rotated, int destroyed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "signer key sweep failed; retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
