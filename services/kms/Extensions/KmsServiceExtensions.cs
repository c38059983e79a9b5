using Microsoft.Extensions.Options;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Grpc;
using Strongroom.Kms.Storage;

namespace Strongroom.Kms.Extensions;

/// <summary>A configuration or store problem that stops the kms before it serves anything.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1032:Implement standard exception constructors",
    Justification = "Always created with an operator-facing message.")]
public sealed class KmsStartupException(string message) : Exception(message);

public static class KmsServiceExtensions
{
    /// <summary>
    /// The kms on top of the hosting library: options, the sealed store (opened and its key derived
    /// right here, before the host is built, so a wrong passphrase ends the process with one clear
    /// line), the domain, the scheduled-destruction sweep.
    /// </summary>
    public static WebApplicationBuilder AddKms(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(KmsOptions.SectionName).Get<KmsOptions>() ?? new KmsOptions();
        var problems = KmsOptionsValidator.Problems(options).ToList();
        if (problems.Count > 0)
        {
            throw new KmsStartupException("invalid configuration: " + string.Join("; ", problems));
        }

        var store = SealedStore.Open(options.StorePath, options.PassphraseFile, options.CreateStoreIfMissing, out var state);

        var services = builder.Services;
        services.AddSingleton<IValidateOptions<KmsOptions>, KmsOptionsValidator>();
        services.AddOptions<KmsOptions>().BindConfiguration(KmsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<PlaintextSizeRecorder>();
        services.AddSingleton(sp => new KeyManager(
            state,
            store,
            options.ToSettings(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<PlaintextSizeRecorder>(),
            sp.GetRequiredService<ILogger<KeyManager>>()));
        // The parts share the one KeyManager's state and lock; the container disposes only KeyManager.
        services.AddSingleton(sp => sp.GetRequiredService<KeyManager>().Admin);
        services.AddSingleton(sp => sp.GetRequiredService<KeyManager>().Crypto);
        services.AddSingleton(sp => sp.GetRequiredService<KeyManager>().Destructions);
        services.AddHostedService(sp => new DestructionSweeper(
            sp.GetRequiredService<DestructionSchedule>(),
            options.SweepInterval,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<DestructionSweeper>>()));
        return builder;
    }

    /// <summary>Maps the Cloud KMS v1 service (every method is on the admin listener by policy).</summary>
    public static WebApplication MapKms(this WebApplication app)
    {
        app.MapGrpcService<KeyManagementGrpcService>();
        return app;
    }
}

/// <summary>Destroys versions whose grace has elapsed even when no call arrives to trigger the lazy sweep.</summary>
public sealed partial class DestructionSweeper(DestructionSchedule destructions, TimeSpan interval, TimeProvider time, ILogger<DestructionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first sweep at start: versions due while the kms was down go at once.
        Sweep();
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Sweep()
    {
        try
        {
            destructions.SweepDueDestructions();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSweepFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "scheduled-destruction sweep failed; it will be retried")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
