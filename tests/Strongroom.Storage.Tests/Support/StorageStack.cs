using System.Net.Security;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Strongroom.Crypto;
using Strongroom.Hosting;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Domain;
using Strongroom.Storage.Extensions;
using Strongroom.Storage.V1;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;
using Checkpoint = Strongroom.KeyLog.Checkpoint;
using Strongroom.Testing;
using Api = Strongroom.Storage.V1;

namespace Strongroom.Storage.Tests.Support;

/// <summary>
/// storage as its Program.cs composes it, on real Kestrel at 127.0.0.1 with real mTLS certificates
/// and its own appsettings.json policy table, over one backend; checkpoints signed by a
/// <see cref="TestCheckpointSigner"/>. One stack per test class.
/// </summary>
public abstract class StorageStack : IAsyncLifetime
{
    public const string Deployment = "test";

    protected StorageStack()
    {
        Signer = new TestCheckpointSigner(Origin);
    }

    public static string Origin => Checkpoint.OriginFor(Deployment);

    public TestPki Pki { get; } = new();

    public string Root => Pki.Root;

    public TestCheckpointSigner Signer { get; }

    public Ed25519KeyPair OperatorKey { get; } = Ed25519KeyPair.Generate();

    public WebApplication App { get; private set; } = null!;

    public string PublicAddress { get; private set; } = "";

    public string AdminAddress { get; private set; } = "";

    public string ReadOnlyAddress { get; private set; } = "";

    /// <summary>Null when the backend can run here; otherwise why not (tests then Require it).</summary>
    public string? Unavailable { get; protected set; }

    protected abstract Task<Dictionary<string, string?>> BackendSettingsAsync();

    /// <summary>Runs SQL directly against the backend, behind storage's back.</summary>
    public abstract Task ExecuteSqlAsync(string sql);

    public void RequireBackend() => Requirements.Require(Unavailable is null, Unavailable ?? "");

    public async ValueTask InitializeAsync()
    {
        var backend = await BackendSettingsAsync();
        if (Unavailable is not null)
        {
            return;
        }

        var (publicPort, adminPort, readOnlyPort) = (Ports.Free(), Ports.Free(), Ports.Free());
        var certificate = Pki.Issue(WorkloadIdentity.Storage);
        using var operatorJwk = JsonWebKey.FromPublicKey(OperatorKey.PublicKey);
        var settings = new Dictionary<string, string?>
        {
            ["Strongroom:Tls:CaFile"] = Pki.CaFile,
            ["Strongroom:Tls:CertFile"] = certificate.Certificate,
            ["Strongroom:Tls:KeyFile"] = certificate.Key,
            ["Strongroom:Listeners:Public"] = $"127.0.0.1:{publicPort}",
            ["Strongroom:Listeners:Admin"] = $"127.0.0.1:{adminPort}",
            ["Strongroom:Audit:Path"] = Path.Combine(Root, "storage", "audit.log"),
            ["Storage:Deployment"] = Deployment,
            ["Storage:ReadOnlyListener"] = $"127.0.0.1:{readOnlyPort}",
            ["Storage:OperatorKeys:0"] = operatorJwk.ToJson(),
            ["Storage:LogVerifierKey"] = Signer.Verifier.ToString(),
            ["Storage:MaxOutputBytes"] = "65536",
        };
        foreach (var (k, v) in backend)
        {
            settings[k] = v;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Root });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddJsonFile(Path.Combine(RepoPaths.Root, "services", "storage", "appsettings.json"), optional: false);
        builder.Configuration.AddInMemoryCollection(settings);
        if (Environment.GetEnvironmentVariable("STRONGROOM_TEST_LOG") is null)
        {
            builder.Logging.ClearProviders();
        }
        builder.AddStrongroomHosting();
        builder.Services.AddSingleton<ICheckpointSigner>(Signer);
        builder.AddStorage();
        App = builder.Build();
        App.MapStrongroomDefaults();
        App.MapStorage();
        await App.StartAsync();
        PublicAddress = $"https://127.0.0.1:{publicPort}";
        AdminAddress = $"https://127.0.0.1:{adminPort}";
        ReadOnlyAddress = $"https://127.0.0.1:{readOnlyPort}";
    }

    public CallInvoker Invoker(WorkloadIdentity identity, string address)
    {
        var certificate = Pki.Issue(identity);
        return MtlsChannelFactory.Create(
            new DownstreamOptions { Address = address, Identity = "storage", Deadline = TimeSpan.FromSeconds(60) },
            new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.FromSeconds(1)),
            Validator());
    }

    public PeerCertificateValidator Validator() => new(new TrustAnchor(Pki.CaFile, TimeSpan.FromSeconds(1)), EmptyDenyList.Instance);

    public Api.Storage.StorageClient Client(WorkloadIdentity identity) => new(Invoker(identity, PublicAddress));

    public StorageAdmin.StorageAdminClient Admin(WorkloadIdentity? identity = null) =>
        new(Invoker(identity ?? WorkloadIdentity.Operator("admin"), AdminAddress));

    /// <summary>An HTTPS client with no client certificate that trusts only storage's certificate from the test CA.</summary>
    public HttpClient AnonymousHttp()
    {
        var validator = Validator();
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => validator.Validate(cert, PeerRole.Server, WorkloadIdentity.Storage).Ok,
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri(ReadOnlyAddress) };
    }

    /// <summary>Publishes <paramref name="key"/> as a result-signing key of the signer; returns its kid.</summary>
    public async Task<string> PublishResultKeyAsync(Ed25519KeyPair key, uint version = 1)
    {
        ArgumentNullException.ThrowIfNull(key);
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        var kid = jwk.Thumbprint();
        await Client(WorkloadIdentity.Signer).PublishKeyAsync(new PublishKeyRequest
        {
            Kid = kid,
            JwkJson = jwk.ToJson(),
            OwnerIdentity = "signer",
            Kind = Api.KeyKind.ResultSigning,
            KeyName = "results",
            Version = version,
            CreateTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        });
        return kid;
    }

    /// <summary>A JWS as the signer would make it over a result document naming <paramref name="jobId"/>.</summary>
    public static string SignResult(Ed25519KeyPair key, string jobId, string typ = "strongroom-result")
    {
        ArgumentNullException.ThrowIfNull(key);
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        var document = new JsonObject { ["job_id"] = jobId, ["exit_status"] = 0 }.ToJsonString();
        return Jws.SignCompact(key, jwk.Thumbprint(), Encoding.UTF8.GetBytes(document), new JsonObject
        {
            ["typ"] = typ,
            ["runner"] = "spiffe://strongroom/runner",
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        });
    }

    /// <summary>A JWS by <paramref name="key"/> (the pinned operator key by default).</summary>
    public string OperatorJws(JsonObject payload, string typ = ClientRegistry.RegistrationType, Ed25519KeyPair? key = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        key ??= OperatorKey;
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        return Jws.SignCompact(key, jwk.Thumbprint(), Encoding.UTF8.GetBytes(payload.ToJsonString()), new JsonObject { ["typ"] = typ });
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        Signer.Dispose();
        OperatorKey.Dispose();
        Pki.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The embedded default backend: a SQLite file in the stack's temporary directory.</summary>
public sealed class SqliteStorageStack : StorageStack
{
    public string DatabasePath => Path.Combine(Root, "storage", "storage.db");

    protected override Task<Dictionary<string, string?>> BackendSettingsAsync() => Task.FromResult(new Dictionary<string, string?>
    {
        ["Storage:Backend"] = "Sqlite",
        ["Storage:SqlitePath"] = DatabasePath,
    });

    public override async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test SQL, written in the tests.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>PostgreSQL from STRONGROOM_TEST_POSTGRES (scripts/test-postgres.sh prints it), in a fresh schema per stack.</summary>
public sealed class PostgresStorageStack : StorageStack
{
    public const string Variable = "STRONGROOM_TEST_POSTGRES";

    private readonly string _schema = "t_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    private string ConnectionString => Environment.GetEnvironmentVariable(Variable) ?? "";

    protected override Task<Dictionary<string, string?>> BackendSettingsAsync()
    {
        if (string.IsNullOrEmpty(ConnectionString))
        {
            Unavailable = $"PostgreSQL not configured: eval \"$(scripts/test-postgres.sh)\" to set {Variable}";
        }

        return Task.FromResult(new Dictionary<string, string?>
        {
            ["Storage:Backend"] = "Postgres",
            ["Storage:PostgresConnectionString"] = ConnectionString,
            ["Storage:PostgresSchema"] = _schema,
        });
    }

    public override async Task ExecuteSqlAsync(string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = _schema };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test SQL, written in the tests.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Unavailable is null)
        {
            await ExecuteSqlAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
    }
}
