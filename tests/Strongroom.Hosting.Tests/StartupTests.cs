using Strongroom.Hosting.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Hosting.Tests;

/// <summary>A service refuses to start on an incomplete or unsafe policy, or with the wrong certificate.</summary>
public sealed class StartupTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task Starting_with_a_method_missing_from_the_policy_fails_naming_it()
    {
        var policy = ProbeServer.DefaultPolicy();
        foreach (var key in policy.Keys.Where(k => k.Contains(ProbeServer.Fail, StringComparison.Ordinal)).ToList())
        {
            policy.Remove(key);
        }

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ProbeServer.StartAsync(_pki, policy));

        Assert.Contains("method /strongroom.testing.v1.Probe/Fail has no policy row", ex.Message);
    }

    [Fact]
    public async Task Starting_with_an_admin_method_open_to_everyone_fails()
    {
        var policy = ProbeServer.DefaultPolicy();
        policy[$"Strongroom:Policy:{ProbeServer.AdminPing}:Allow:0"] = "*";

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ProbeServer.StartAsync(_pki, policy));

        Assert.Contains($"admin method {ProbeServer.AdminPing} is open to everyone", ex.Message);
    }

    [Fact]
    public async Task Starting_with_a_policy_row_for_an_unknown_method_fails()
    {
        var policy = ProbeServer.DefaultPolicy();
        policy["Strongroom:Policy:/strongroom.testing.v1.Probe/Pnig:Allow:0"] = "runner";

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ProbeServer.StartAsync(_pki, policy));

        Assert.Contains("/strongroom.testing.v1.Probe/Pnig names a method this service does not serve", ex.Message);
    }

    [Fact]
    public async Task A_policy_naming_the_edge_is_refused()
    {
        var policy = ProbeServer.DefaultPolicy();
        policy[$"Strongroom:Policy:{ProbeServer.Ping}:Allow:2"] = "edge";

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ProbeServer.StartAsync(_pki, policy));

        Assert.Contains("the edge may appear in no policy row", ex.Message);
    }

    [Fact]
    public void A_service_whose_certificate_names_another_identity_refuses_to_start()
    {
        // keyservice's certificate mounted where storage expects its own: a misplaced mount must fail fast.
        var wrong = _pki.Issue(WorkloadIdentity.KeyService);

        var ex = Assert.Throws<InvalidOperationException>(() =>
            ProbeServer.Build(_pki, ProbeServer.DefaultPolicy(), null, out _, out _, out _, wrong));

        Assert.Contains("does not carry this service's identity", ex.Message);
    }
}
