using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.KeyCustody;

namespace Strongroom.KeyService.Domain;

/// <summary>Carries out due rotations (the seed's 90 days by default) and destructions whose grace has elapsed.</summary>
public sealed partial class LifecycleSweeper(KeyCustodian custodian, KeyImporter importer, KeyServiceOptions options, ILogger<LifecycleSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await importer.EnsureImportKeyAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.SweepInterval);
        do
        {
            try
            {
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
