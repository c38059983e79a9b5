using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.KeyPublishing;

/// <summary>
/// Delivers the outbox to storage in order, one row at a time, deleting each row only after storage
/// acknowledged it. PublishKey and PublishKeyEvent are idempotent on storage's side (the same
/// material or event again answers created = false), so redelivery after a crash is harmless. A
/// failure stops the pass and the row is retried after <see cref="PublishingOptions.RetryInterval"/>,
/// keeping a key's events behind its publication. Rows storage refuses for good (ALREADY_EXISTS:
/// other material under our kid; INVALID_ARGUMENT) are parked for operators and logged as errors.
/// </summary>
public sealed partial class OutboxWorker(KeyOutbox outbox, StorageApi.Storage.StorageClient storage, PublishingOptions options, OutboxSignal signal, ILogger<OutboxWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DeliverAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(logger, ex);
            }

            try
            {
                await signal.WaitAsync(options.RetryInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: delivers rows until the outbox is empty or a delivery fails. Returns rows delivered.</summary>
    public async Task<int> DeliverAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        while (true)
        {
            var rows = await outbox.PendingAsync(32, cancellationToken);
            if (rows.Count == 0)
            {
                return delivered;
            }

            foreach (var row in rows)
            {
                try
                {
                    var deadline = DateTime.UtcNow + options.Deadline;
                    switch (row.Kind)
                    {
                        case KeyPublisher.PublishKeyKind:
                            await storage.PublishKeyAsync(StorageApi.PublishKeyRequest.Parser.ParseFrom(row.Body), deadline: deadline, cancellationToken: cancellationToken);
                            break;
                        case KeyPublisher.PublishKeyEventKind:
                            await storage.PublishKeyEventAsync(StorageApi.PublishKeyEventRequest.Parser.ParseFrom(row.Body), deadline: deadline, cancellationToken: cancellationToken);
                            break;
                        default:
                            await outbox.ParkAsync(row.Id, "unknown outbox row kind " + row.Kind, cancellationToken);
                            continue;
                    }

                    await outbox.DeliveredAsync(row.Id, cancellationToken);
                    delivered++;
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.AlreadyExists or StatusCode.InvalidArgument)
                {
                    LogParked(logger, row.Id, row.Kind, ex.StatusCode, ex.Status.Detail);
                    await outbox.ParkAsync(row.Id, ex.StatusCode + ": " + ex.Status.Detail, cancellationToken);
                }
                catch (RpcException ex)
                {
                    await outbox.FailedAsync(row.Id, ex.StatusCode + ": " + ex.Status.Detail, cancellationToken);
                    if (row.Attempts % 20 == 0)
                    {
                        LogRetrying(logger, row.Id, row.Kind, ex.StatusCode);
                    }

                    return delivered;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "key publication {Id} ({Kind}) not delivered ({Status}); retrying")]
    private static partial void LogRetrying(ILogger logger, long id, string kind, StatusCode status);

    [LoggerMessage(Level = LogLevel.Error, Message = "storage refused key publication {Id} ({Kind}) for good: {Status} {Detail}; parked for operators")]
    private static partial void LogParked(ILogger logger, long id, string kind, StatusCode status, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "outbox delivery pass failed; retrying at the next interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}

/// <summary>Wakes the outbox worker when a row is written, so publication does not wait for the retry interval.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0);

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _wake.Dispose();
}
