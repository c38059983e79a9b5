using Microsoft.Extensions.Options;
using Strongroom.Requests;
using Strongroom.Requests.Lookup;
using Strongroom.Runner.Domain;
using Strongroom.Runner.Grpc;
using Strongroom.Runner.Queue;
using Strongroom.Sandbox;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;
using KeyServiceApi = Strongroom.KeyService.V1;
using SignerApi = Strongroom.Signer.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Runner.Extensions;

public static class RunnerExtensions
{
    /// <summary>The runner's domain: its durable queue, the sandbox, and mTLS clients of keyservice, signer and storage.</summary>
    public static WebApplicationBuilder AddRunner(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RunnerOptions>().BindConfiguration(RunnerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RunnerOptions>>().Value);
        services.AddSingleton<SqlJobQueue>(sp =>
        {
            var options = sp.GetRequiredService<RunnerOptions>();
            return options.Backend.ToUpperInvariant() switch
            {
                "SQLITE" => SqliteJobQueue.Open(options.SqlitePath),
                "POSTGRES" => PostgresJobQueue.OpenAsync(options.PostgresConnectionString, options.PostgresSchema).GetAwaiter().GetResult(),
                _ => throw new InvalidOperationException("Runner:Backend must be Sqlite or Postgres"),
            };
        });
        services.AddSingleton(sp => Downstream(sp, o => o.KeyService, i => new KeyServiceApi.KeyService.KeyServiceClient(i)));
        services.AddSingleton(sp => Downstream(sp, o => o.Signer, i => new SignerApi.Signer.SignerClient(i)));
        services.AddSingleton(sp => Downstream(sp, o => o.Storage, i => new StorageApi.Storage.StorageClient(i)));
        // Key-log answers reused for at most Runner:KeyCacheTtl: Submit would otherwise ask storage three times per request.
        services.AddSingleton<IClientKeyDirectory>(sp => new CachingClientKeyDirectory(
            new StorageClientKeyDirectory(sp.GetRequiredService<StorageApi.Storage.StorageClient>()),
            sp.GetRequiredService<RunnerOptions>().KeyCacheTtl,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRequestKeyDirectory>(sp => new CachingRequestKeyDirectory(
            new StorageRequestKeyDirectory(sp.GetRequiredService<StorageApi.Storage.StorageClient>()),
            sp.GetRequiredService<RunnerOptions>().KeyCacheTtl,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<RequestVerifier>();
        services.AddSingleton<JobSignal>();
        services.AddSingleton<SubmitRateLimiter>();
        services.AddSingleton<RunnerReadiness>();
        services.AddSingleton<JobDefinitions>();
        services.AddSingleton<IJobSandbox>(sp =>
        {
            var options = sp.GetRequiredService<RunnerOptions>();
            var root = Path.GetFullPath(options.WorkRoot, sp.GetRequiredService<IHostEnvironment>().ContentRootPath);
            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return new BubblewrapSandbox(new SandboxOptions { BubblewrapPath = options.BubblewrapPath, WorkRoot = root });
        });
        services.AddSingleton<RequestIntake>();
        services.AddSingleton<JobProcessor>();
        services.AddHostedService<JobWorker>();
        return builder;
    }

    public static WebApplication MapRunner(this WebApplication app)
    {
        // Refuse to start on a bad job definition rather than at the first request naming it.
        _ = app.Services.GetRequiredService<JobDefinitions>();
        app.MapGrpcService<RunnerGrpc>();
        app.MapGrpcService<RunnerAdminGrpc>();
        return app;
    }

    private static T Downstream<T>(IServiceProvider sp, Func<RunnerOptions, DownstreamOptions> select, Func<global::Grpc.Core.CallInvoker, T> create)
    {
        var invoker = MtlsChannelFactory.Create(
            select(sp.GetRequiredService<RunnerOptions>()),
            sp.GetRequiredService<ReloadingCertificate>(),
            sp.GetRequiredService<PeerCertificateValidator>());
        return create(invoker);
    }
}
