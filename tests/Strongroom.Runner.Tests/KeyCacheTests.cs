using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Requests;
using Strongroom.Runner.Domain;
using Strongroom.Testing;

namespace Strongroom.Runner.Tests;

/// <summary>
/// The runner reuses key-log answers for at most Runner:KeyCacheTtl: a revoked client key or a
/// disabled request key is refused once the TTL has passed, and a refusal is never remembered.
/// </summary>
public sealed class KeyCacheTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5);

    /// <summary>The key log as storage would answer it, changed by the test; counts the lookups.</summary>
    private sealed class Log : IClientKeyDirectory, IRequestKeyDirectory
    {
        public KeyState SigningState { get; set; } = KeyState.Enabled;

        public bool Registered { get; set; } = true;

        public bool RequestKeyEnabled { get; set; } = true;

        public int Lookups { get; private set; }

        public Ed25519PublicKey PublicKey { get; } = Ed25519KeyPair.Generate().PublicKey;

        public Task<ClientSigningKey?> FindAsync(string? kid, string? opensshFingerprint, CancellationToken cancellationToken)
        {
            Lookups++;
            return Task.FromResult(Registered ? new ClientSigningKey(kid!, "spiffe://strongroom/client/alice", SigningState, PublicKey) : null);
        }

        public Task<ClientSealingKey?> FindSealingKeyAsync(string kid, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RequireRequestKeyAsync(string kid, CancellationToken cancellationToken)
        {
            Lookups++;
            return RequestKeyEnabled ? Task.CompletedTask : throw StrongroomException.FailedPrecondition("recipient key is disabled");
        }
    }

    [Fact]
    public async Task A_revoked_client_key_is_seen_as_revoked_once_the_ttl_has_passed()
    {
        var clock = new ManualClock();
        var log = new Log();
        var directory = new CachingClientKeyDirectory(log, Ttl, clock);
        Assert.Equal(KeyState.Enabled, (await directory.FindAsync("kid-1", null, CancellationToken.None))!.State);

        log.SigningState = KeyState.Revoked;
        clock.Advance(Ttl);

        Assert.Equal(KeyState.Revoked, (await directory.FindAsync("kid-1", null, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Within_the_ttl_the_key_log_is_asked_once()
    {
        var clock = new ManualClock();
        var log = new Log();
        var directory = new CachingClientKeyDirectory(log, Ttl, clock);

        for (var i = 0; i < 10; i++)
        {
            await directory.FindAsync("kid-1", null, CancellationToken.None);
            clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(1, log.Lookups);
    }

    [Fact]
    public async Task A_key_missing_from_the_log_is_not_remembered_so_a_new_registration_works_at_once()
    {
        var clock = new ManualClock();
        var log = new Log { Registered = false };
        var directory = new CachingClientKeyDirectory(log, Ttl, clock);
        Assert.Null(await directory.FindAsync("kid-1", null, CancellationToken.None));

        log.Registered = true;

        Assert.NotNull(await directory.FindAsync("kid-1", null, CancellationToken.None));
    }

    [Fact]
    public async Task A_disabled_request_key_is_refused_once_the_ttl_has_passed_and_a_refusal_is_never_remembered()
    {
        var clock = new ManualClock();
        var log = new Log();
        var directory = new CachingRequestKeyDirectory(log, Ttl, clock);
        await directory.RequireRequestKeyAsync("kid-r", CancellationToken.None);

        log.RequestKeyEnabled = false;
        clock.Advance(Ttl);
        await Assert.ThrowsAsync<StrongroomException>(() => directory.RequireRequestKeyAsync("kid-r", CancellationToken.None));

        log.RequestKeyEnabled = true;
        await directory.RequireRequestKeyAsync("kid-r", CancellationToken.None);
        Assert.Equal(3, log.Lookups);
    }

    [Fact]
    public async Task A_zero_ttl_asks_the_key_log_every_time()
    {
        var log = new Log();
        var directory = new CachingClientKeyDirectory(log, TimeSpan.Zero, new ManualClock());

        await directory.FindAsync("kid-1", null, CancellationToken.None);
        await directory.FindAsync("kid-1", null, CancellationToken.None);

        Assert.Equal(2, log.Lookups);
    }

    [Fact]
    public async Task The_cache_never_holds_more_than_its_capacity()
    {
        var clock = new ManualClock();
        var cache = new KeyLookupCache<string>(Ttl, 4, clock);

        for (var i = 0; i < 20; i++)
        {
            await cache.GetAsync("k" + i, _ => Task.FromResult<string?>("v"), CancellationToken.None);
        }

        Assert.True(cache.Count <= 4);
    }
}
