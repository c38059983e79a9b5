using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Crypto;
using Strongroom.Hosting;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Domain;
using Strongroom.Storage.Extensions;
using Strongroom.Storage.Tests.Support;
using Strongroom.Testing;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;
using Api = Strongroom.Storage.V1;

namespace Strongroom.Client.Tests.Support;

/// <summary>
/// The real storage service as its Program.cs composes it (SQLite, real Kestrel, real mTLS from a
/// test CA, its own appsettings.json policy table), as the storage and keyservice suites start it;
/// checkpoints are signed by <see cref="TestCheckpointSigner"/>. One per test: each test gets a fresh log.
/// </summary>
public sealed class StorageFixture : IAsyncDisposable
{
    public const string Deployment = "test";

    private StorageFixture(TestPki pki, StorageHost host)
    {
        Pki = pki;
        Host = host;
    }

    public TestPki Pki { get; }

    public StorageHost Host { get; }

    public TestCheckpointSigner Signer => Host.Signer;

    /// <summary>The operator key storage pins (Storage:OperatorKeys) for client registrations.</summary>
    public Ed25519KeyPair OperatorKey => Host.OperatorKey;

    public WebApplication App => Host.App;

    public string PublicAddress => Host.PublicAddress;

    public string DatabasePath => Host.DatabasePath;

    public static async Task<StorageFixture> StartAsync()
    {
        var pki = new TestPki();
        try
        {
            return new StorageFixture(pki, await StorageHost.StartAsync(pki, Ports.Free()));
        }
        catch
        {
            pki.Dispose();
            throw;
        }
    }

    /// <summary>Storage's public API as <paramref name="identity"/>, over mTLS checking storage's URI SAN.</summary>
    public Api.Storage.StorageClient Client(WorkloadIdentity identity)
    {
        var certificate = Pki.Issue(identity);
        var invoker = MtlsChannelFactory.Create(
            new DownstreamOptions { Address = PublicAddress, Identity = "storage", Deadline = TimeSpan.FromSeconds(60) },
            new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.FromSeconds(1)),
            new PeerCertificateValidator(new TrustAnchor(Pki.CaFile, TimeSpan.FromSeconds(1)), EmptyDenyList.Instance));
        return new Api.Storage.StorageClient(invoker);
    }

    public IKeyLogSource Source(WorkloadIdentity identity) => new GrpcKeyLogSource(Client(identity));

    /// <summary>Publishes a key as its owning service would (keyservice's request/StudioML keys, the signer's result keys).</summary>
    public async Task<string> PublishAsync(WorkloadIdentity owner, JsonWebKey jwk, Api.KeyKind kind, string keyName, uint version = 1)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(jwk);
        var kid = jwk.Thumbprint();
        await Client(owner).PublishKeyAsync(new Api.PublishKeyRequest
        {
            Kid = kid,
            JwkJson = jwk.ToJson(),
            OwnerIdentity = owner.ToString(),
            Kind = kind,
            KeyName = keyName,
            Version = version,
            CreateTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        });
        return kid;
    }

    public async Task PublishEventAsync(WorkloadIdentity owner, string kid, Api.KeyEvent keyEvent) =>
        await Client(owner).PublishKeyEventAsync(new Api.PublishKeyEventRequest { Kid = kid, Event = keyEvent, EventTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds() });

    /// <summary>Runs SQL against storage's database behind its back.</summary>
    public async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test SQL, written in the tests.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Pki.Dispose();
    }
}

/// <summary>A key-log source that answers what the test says instead of what storage says, where it says so.</summary>
public sealed class TamperingSource(IKeyLogSource inner) : IKeyLogSource
{
    public Func<Api.Checkpoint, Api.Checkpoint>? Checkpoint { get; set; }

    public Func<long, IReadOnlyList<byte[]>, IReadOnlyList<byte[]>>? InclusionProof { get; set; }

    public async Task<Api.Checkpoint> GetCheckpointAsync(CancellationToken cancellationToken)
    {
        var real = await inner.GetCheckpointAsync(cancellationToken);
        return Checkpoint is null ? real : Checkpoint(real);
    }

    public async Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long leafIndex, long treeSize, CancellationToken cancellationToken)
    {
        var real = await inner.GetInclusionProofAsync(leafIndex, treeSize, cancellationToken);
        return InclusionProof is null ? real : InclusionProof(leafIndex, real);
    }

    public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long firstTreeSize, long secondTreeSize, CancellationToken cancellationToken) =>
        inner.GetConsistencyProofAsync(firstTreeSize, secondTreeSize, cancellationToken);

    public Task<Api.LookupKeyResponse?> LookupKeyAsync(Api.LookupKeyRequest request, CancellationToken cancellationToken) =>
        inner.LookupKeyAsync(request, cancellationToken);
}
