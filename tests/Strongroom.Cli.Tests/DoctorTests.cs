using Strongroom.Cli;
using Strongroom.Cli.Commands;
using Strongroom.Cli.Tests.Support;
using Strongroom.Pki;
using Strongroom.Stack;
using Strongroom.Testing;

namespace Strongroom.Cli.Tests;

/// <summary>`strongroom doctor` without a stack: it names each certificate problem and a missing bubblewrap.</summary>
public sealed class DoctorTests : IDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), "strongroom-cli-doctor-" + Guid.NewGuid().ToString("N"));

    public DoctorTests()
    {
        Assert.Equal(ExitCodes.Ok, PkiCommands.Init(Path.Combine(_state, "pki"), "dev", 7, TextWriter.Null));
        // Nothing listens on these ports: the network checks fail fast and say so.
        Layout = new DevLayout(RepoPaths.Root, _state, Ports.FreeDevStackOffset());
    }

    private DevLayout Layout { get; }

    private PkiDirectory Pki => new(Layout.Pki);

    public void Dispose()
    {
        if (Directory.Exists(_state))
        {
            Directory.Delete(_state, recursive: true);
        }
    }

    private async Task<IReadOnlyList<DoctorCheck>> Doctor(string identity, string bwrap = "/usr/bin/bwrap", TimeProvider? clock = null) =>
        await DoctorCommand.CheckAsync(Layout, identity, "operator/admin", bwrap, clock ?? TimeProvider.System, TestContext.Current.CancellationToken);

    private static DoctorCheck Certificate(IReadOnlyList<DoctorCheck> checks, string identity) => Assert.Single(checks, c => c.Name == "certificate " + identity);

    [Fact]
    public async Task Doctor_says_a_certificate_expired_and_how_to_renew_it()
    {
        Pki.Issue(WorkloadIdentity.ParseShort("client/old"), TimeSpan.FromDays(1), new ShiftedClock(TimeSpan.FromDays(-10))).Dispose();

        var check = Certificate(await Doctor("client/old"), "client/old");

        Assert.False(check.Ok);
        Assert.Contains("expired at", check.Detail);
        Assert.Contains("strongroom pki renew client/old", check.Detail);
    }

    [Fact]
    public async Task Doctor_says_a_certificate_is_not_yet_valid()
    {
        Pki.Issue(WorkloadIdentity.ParseShort("client/early"), TimeSpan.FromDays(7), new ShiftedClock(TimeSpan.FromDays(3))).Dispose();

        var check = Certificate(await Doctor("client/early"), "client/early");

        Assert.False(check.Ok);
        Assert.Contains("not yet valid", check.Detail);
    }

    [Fact]
    public async Task Doctor_says_a_certificate_from_another_ca_is_foreign()
    {
        var other = Path.Combine(_state, "other-pki");
        Assert.Equal(ExitCodes.Ok, PkiCommands.Init(other, "elsewhere", 7, TextWriter.Null));
        Assert.Equal(ExitCodes.Ok, PkiCommands.Issue(other, "client/stranger", 7, TextWriter.Null, TextWriter.Null));
        var id = WorkloadIdentity.ParseShort("client/stranger");
        var foreign = new PkiDirectory(other);
        Directory.CreateDirectory(Path.GetDirectoryName(Pki.CertificatePath(id))!);
        File.Copy(foreign.CertificatePath(id), Pki.CertificatePath(id));
        File.Copy(foreign.KeyPath(id), Pki.KeyPath(id));

        var check = Certificate(await Doctor("client/stranger"), "client/stranger");

        Assert.False(check.Ok);
        Assert.Contains("not issued by the deployment CA", check.Detail);
        Assert.Contains("foreign", check.Detail);
    }

    [Fact]
    public async Task Doctor_accepts_a_current_certificate_from_the_deployment_ca()
    {
        var check = Certificate(await Doctor("client/demo"), "client/demo");

        Assert.True(check.Ok, check.Detail);
        Assert.Contains("issued by the deployment CA", check.Detail);
    }

    [Fact]
    public async Task Doctor_says_bubblewrap_is_missing_at_the_configured_path()
    {
        var checks = await Doctor("client/demo", bwrap: "/nonexistent/bwrap");

        var check = Assert.Single(checks, c => c.Name == "bubblewrap");
        Assert.False(check.Ok);
        Assert.Contains("bubblewrap missing at /nonexistent/bwrap", check.Detail);
        Assert.Contains("apt-get install -y bubblewrap", check.Detail);
    }

    [Fact]
    public async Task Doctor_names_each_unreachable_service_and_exits_failed()
    {
        var checks = await Doctor("client/demo");

        foreach (var service in new[] { "kms", "storage", "signer", "keyservice", "runner", "edge" })
        {
            Assert.Contains(checks, c => !c.Ok && c.Name == service && c.Detail.Contains("unreachable", StringComparison.Ordinal));
        }

        Assert.Contains(checks, c => !c.Ok && c.Name == "clock" && c.Detail.Contains("unreachable", StringComparison.Ordinal));
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Failed, await DoctorCommand.RunAsync(Layout, "client/demo", "operator/admin", "/usr/bin/bwrap", json: true, output, TimeProvider.System, TestContext.Current.CancellationToken));
        Assert.Contains("\"ok\":false", output.ToString());
    }
}

