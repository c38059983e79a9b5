using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Strongroom.KeyLog;
using Strongroom.Storage.Domain;
using Strongroom.Storage.Store;
using Strongroom.Storage.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Storage.Tests;

/// <summary>
/// Proofs served from <see cref="LeafHashCache"/>: the domain classes built directly over a real
/// backend (SQLite file, or a fresh PostgreSQL schema), checkpoints signed by a
/// <see cref="TestCheckpointSigner"/>, proofs checked as a client checks them.
/// </summary>
public abstract class ProofCacheSuite : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    protected CancellationToken Ct => TestContext.Current.CancellationToken;

    protected TestCheckpointSigner Signer { get; } = new(StorageStack.Origin);

    /// <summary>A new store over this test's database; a second call opens the same database again.</summary>
    protected abstract Task<IStorageStore> OpenStoreAsync();

    /// <summary>Runs SQL against the database behind every store's back.</summary>
    protected abstract Task ExecuteSqlAsync(string sql);

    protected abstract string Hex(byte[] bytes);

    /// <summary>One storage process: its own cache and domain classes over its own store.</summary>
    protected sealed class Replica(CountingStore store, TestCheckpointSigner signer)
    {
        public CountingStore Store { get; } = store;

        public Checkpointer Checkpointer { get; } = new(store, signer, new StorageOptions { Deployment = StorageStack.Deployment, LogVerifierKey = signer.Verifier.ToString() }, NullLogger<Checkpointer>.Instance);

        public LeafHashCache Cache { get; } = new(store);

        public LogReader Reader => new(Store, Checkpointer, Cache);

        public StoredLogVerifier Verifier => new(Store, Checkpointer);

        /// <summary>Appends <paramref name="count"/> audit anchors (each append then checkpoints, as in storage).</summary>
        public async Task AppendAsync(int count, CancellationToken ct) =>
            await new AuditAnchoring(Store, Checkpointer, TimeProvider.System).AnchorAuditHeadsAsync(
                Enumerable.Range(0, count).Select(i => ("keyservice", (long)i, RandomNumberGenerator.GetBytes(32))).ToList(), ct);
    }

    protected async Task<Replica> ReplicaAsync()
    {
        var store = new CountingStore(await OpenStoreAsync());
        var replica = new Replica(store, Signer);
        _owned.Add(replica.Checkpointer);
        _owned.Add(store);
        return replica;
    }

    protected virtual void RequireBackend()
    {
    }

    private LogVerifier NewClient() => new(Signer.Verifier, StorageStack.Origin);

    protected static async Task<bool> ProvesEveryEntryAsync(Replica replica, LogVerifier client, CancellationToken ct)
    {
        var entries = await replica.Reader.GetEntriesAsync(0, client.Pinned!.Size, ct);
        foreach (var entry in entries)
        {
            var (_, _, proof) = await replica.Reader.InclusionProofAsync(entry.Index, client.Pinned.Size, ct);
            if (!client.VerifyInclusion(entry.EntryJson, entry.Index, proof))
            {
                return false;
            }
        }

        return entries.Count == client.Pinned.Size;
    }

    [Fact]
    public async Task Proofs_stay_correct_after_more_appends()
    {
        RequireBackend();
        var replica = await ReplicaAsync();
        var client = NewClient();
        var earlier = new List<StoredCheckpoint>();
        for (var round = 1; round <= 5; round++)
        {
            await replica.AppendAsync(round, Ct);
            var latest = await replica.Checkpointer.LatestCheckpointAsync(Ct);
            var (_, _, consistency) = await replica.Reader.ConsistencyProofAsync(client.Pinned?.Size ?? 0, 0, Ct);
            client.Advance(latest.Note, consistency);
            Assert.True(await ProvesEveryEntryAsync(replica, client, Ct));

            // Older checkpoints are proved from the same cache, against their own roots.
            var first = (await replica.Reader.GetEntriesAsync(0, 1, Ct)).Single();
            foreach (var old in earlier)
            {
                var (_, _, proof) = await replica.Reader.InclusionProofAsync(0, old.TreeSize, Ct);
                Assert.True(MerkleTree.VerifyInclusion(0, old.TreeSize, MerkleTree.LeafHash(first.EntryJson), proof, old.RootHash));
                var (_, _, fromOld) = await replica.Reader.ConsistencyProofAsync(old.TreeSize, 0, Ct);
                Assert.True(MerkleTree.VerifyConsistency(old.TreeSize, latest.TreeSize, fromOld, old.RootHash, latest.RootHash));
            }

            earlier.Add(latest);
        }

        Assert.Equal(15, client.Pinned!.Size);
        Assert.Equal(15, replica.Cache.CachedSize);
    }

    [Fact]
    public async Task A_second_proof_reads_only_the_entries_appended_since_the_first()
    {
        RequireBackend();
        var replica = await ReplicaAsync();
        await replica.AppendAsync(10, Ct);

        replica.Store.Reset();
        _ = await replica.Reader.InclusionProofAsync(3, 0, Ct);
        Assert.Equal(10, replica.Store.EntriesRead);

        await replica.AppendAsync(3, Ct);
        replica.Store.Reset();
        var (_, size, proof) = await replica.Reader.InclusionProofAsync(11, 0, Ct);
        Assert.Equal(3, replica.Store.EntriesRead);
        var latest = await replica.Checkpointer.LatestCheckpointAsync(Ct);
        var leaf = (await replica.Reader.GetEntriesAsync(11, 12, Ct)).Single();
        Assert.True(MerkleTree.VerifyInclusion(11, size, MerkleTree.LeafHash(leaf.EntryJson), proof, latest.RootHash));

        // Nothing new: proofs at the latest or an older checkpoint read no entries at all.
        replica.Store.Reset();
        _ = await replica.Reader.ConsistencyProofAsync(10, 0, Ct);
        _ = await replica.Reader.InclusionProofAsync(2, 10, Ct);
        Assert.Equal(0, replica.Store.EntriesRead);
    }

    [Fact]
    public async Task An_edited_row_is_not_cached_and_proofs_fall_back_to_the_stored_rows()
    {
        RequireBackend();
        var replica = await ReplicaAsync();
        await replica.AppendAsync(5, Ct);
        var client = NewClient();
        client.Advance((await replica.Checkpointer.LatestCheckpointAsync(Ct)).Note);
        var original = (await replica.Reader.GetEntriesAsync(2, 3, Ct)).Single().EntryJson;
        var forged = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original).Replace("keyservice", "kmsserver", StringComparison.Ordinal));
        Assert.NotEqual(original, forged);

        // Edited before any proof: the catch-up does not hash to the signed root, so nothing is kept,
        // and proofs come from the stored rows as they are (and fail the client's check, as before).
        await ExecuteSqlAsync($"UPDATE log_entries SET entry_json = {Hex(forged)} WHERE idx = 2");
        var sibling = (await replica.Reader.GetEntriesAsync(3, 4, Ct)).Single();
        var (_, _, bad) = await replica.Reader.InclusionProofAsync(3, 0, Ct);
        Assert.False(client.VerifyInclusion(sibling.EntryJson, 3, bad));
        Assert.Equal(0, replica.Cache.CachedSize);
        replica.Store.Reset();
        _ = await replica.Reader.InclusionProofAsync(3, 0, Ct);
        Assert.True(replica.Store.EntriesRead >= 5, "with nothing cached, each proof reads the stored rows again");

        // Restored: the prefix hashes to the signed root again and is cached.
        await ExecuteSqlAsync($"UPDATE log_entries SET entry_json = {Hex(original)} WHERE idx = 2");
        Assert.True(await ProvesEveryEntryAsync(replica, client, Ct));
        Assert.Equal(5, replica.Cache.CachedSize);

        // Edited after caching: proofs keep the signed leaves (so the forged entry as served fails the
        // client's check and its neighbours still prove), while the checkpointer and VerifyKeyLog
        // still re-hash the stored bytes and refuse the edited log.
        await ExecuteSqlAsync($"UPDATE log_entries SET entry_json = {Hex(forged)} WHERE idx = 2");
        var served = (await replica.Reader.GetEntriesAsync(2, 3, Ct)).Single();
        Assert.Equal(forged, served.EntryJson);
        var (_, _, ofForged) = await replica.Reader.InclusionProofAsync(2, 0, Ct);
        var (_, _, ofSibling) = await replica.Reader.InclusionProofAsync(3, 0, Ct);
        Assert.False(client.VerifyInclusion(served.EntryJson, 2, ofForged));
        Assert.True(client.VerifyInclusion(sibling.EntryJson, 3, ofSibling));
        var refusals = Signer.Refusals;
        await replica.AppendAsync(1, Ct);
        Assert.True(Signer.Refusals > refusals);
        Assert.Equal(5, (await replica.Checkpointer.LatestCheckpointAsync(Ct)).TreeSize);
        var (consistent, _, firstBad, _) = await replica.Verifier.VerifyAsync(Ct);
        Assert.False(consistent);
        Assert.Equal(2, firstBad);
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Signer.Dispose();
        DisposeBackend();
        GC.SuppressFinalize(this);
    }

    protected abstract void DisposeBackend();
}

public sealed class SqliteProofCacheTests : ProofCacheSuite
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("strongroom-proofs-");

    private string DatabasePath => Path.Combine(_directory.FullName, "storage.db");

    protected override Task<IStorageStore> OpenStoreAsync() => Task.FromResult<IStorageStore>(SqliteStorageStore.Open(DatabasePath));

    protected override async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test SQL, written in the tests.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(Ct);
    }

    protected override string Hex(byte[] bytes) => $"x'{Convert.ToHexString(bytes)}'";

    protected override void DisposeBackend() => _directory.Delete(recursive: true);
}

public sealed class PostgresProofCacheTests : ProofCacheSuite
{
    private readonly string _schema = "t_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
    private bool _opened;

    private static string ConnectionString => Environment.GetEnvironmentVariable(PostgresStorageStack.Variable) ?? "";

    protected override void RequireBackend() =>
        Requirements.Require(ConnectionString.Length > 0, $"PostgreSQL not configured: eval \"$(scripts/test-postgres.sh)\" to set {PostgresStorageStack.Variable}");

    protected override async Task<IStorageStore> OpenStoreAsync()
    {
        _opened = true;
        return await PostgresStorageStore.OpenAsync(ConnectionString, _schema, Ct);
    }

    protected override async Task ExecuteSqlAsync(string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = _schema };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test SQL, written in the tests.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(Ct);
    }

    protected override string Hex(byte[] bytes) => $"decode('{Convert.ToHexString(bytes)}', 'hex')";

    [Fact]
    public async Task A_second_store_over_the_same_postgres_schema_sees_the_others_appends_in_its_proofs()
    {
        RequireBackend();
        var first = await ReplicaAsync();
        var second = await ReplicaAsync();
        await first.AppendAsync(3, Ct);
        _ = await first.Reader.InclusionProofAsync(0, 0, Ct);
        Assert.Equal(3, first.Cache.CachedSize);

        // The other replica appends and checkpoints; the first proves the new tree, reading only the new rows.
        await second.AppendAsync(4, Ct);
        first.Store.Reset();
        var latest = await first.Checkpointer.LatestCheckpointAsync(Ct);
        Assert.Equal(7, latest.TreeSize);
        var appendedBySecond = (await first.Reader.GetEntriesAsync(5, 6, Ct)).Single();
        var (_, size, proof) = await first.Reader.InclusionProofAsync(5, 0, Ct);
        Assert.Equal(7, size);
        Assert.True(MerkleTree.VerifyInclusion(5, size, MerkleTree.LeafHash(appendedBySecond.EntryJson), proof, latest.RootHash));
        Assert.Equal(1 + 4, first.Store.EntriesRead); // the page asked for above, then the four new leaves

        // And the other way round, each against the checkpoint the client pinned.
        var client = new LogVerifier(Signer.Verifier, StorageStack.Origin);
        client.Advance(latest.Note);
        await first.AppendAsync(2, Ct);
        var next = await second.Checkpointer.LatestCheckpointAsync(Ct);
        var (_, _, consistency) = await second.Reader.ConsistencyProofAsync(7, 0, Ct);
        client.Advance(next.Note, consistency);
        Assert.Equal(9, client.Pinned!.Size);
        Assert.True(await ProvesEveryEntryAsync(second, client, Ct));
        Assert.True(await ProvesEveryEntryAsync(first, client, Ct));
    }

    protected override void DisposeBackend()
    {
        if (_opened)
        {
            ExecuteSqlAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE").GetAwaiter().GetResult();
        }
    }
}
