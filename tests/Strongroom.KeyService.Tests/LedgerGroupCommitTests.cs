using Strongroom.Core;
using Strongroom.KeyService.Domain;

namespace Strongroom.KeyService.Tests;

/// <summary>
/// The request ledger commits concurrent grants together, and still grants each request at most
/// <see cref="RequestLedger.MaxUnwraps"/> unwraps, durably, before anyone is told.
/// </summary>
public sealed class LedgerGroupCommitTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "strongroom-ledger-" + Guid.NewGuid().ToString("N"), "ledger.db");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    [Fact]
    public async Task Concurrent_spends_of_one_request_grant_exactly_the_budget_and_the_rest_are_refused()
    {
        using var ledger = RequestLedger.Open(_path);
        var key = RequestLedger.StrongroomKey("spiffe://strongroom/client/alice", new byte[16]);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            try
            {
                await ledger.SpendAsync(key, null, CancellationToken.None);
                return "granted";
            }
            catch (StrongroomException ex) when (ex.Kind == ErrorKind.ResourceExhausted)
            {
                return "refused";
            }
        })));

        Assert.Equal(RequestLedger.MaxUnwraps, outcomes.Count(o => o == "granted"));
        Assert.Equal((RequestLedger.MaxUnwraps, false), await ledger.GetAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Every_grant_and_completion_acknowledged_under_concurrency_is_on_disk_after_a_reopen()
    {
        var keys = Enumerable.Range(0, 100).Select(i => RequestLedger.StudioMlKey(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))).ToList();
        using (var ledger = RequestLedger.Open(_path))
        {
            await Task.WhenAll(keys.Select((k, i) => Task.Run(() => i % 2 == 0
                ? ledger.SpendAsync(k, null, CancellationToken.None)
                : ledger.CompleteAsync(k, CancellationToken.None))));
        }

        using var reopened = RequestLedger.Open(_path);
        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal(i % 2 == 0 ? (1, false) : (0, true), await reopened.GetAsync(keys[i], CancellationToken.None));
        }
    }
}
