using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Strongroom.Hosting.Tls;
using Strongroom.Pki;

namespace Strongroom.Hosting.Tests;

/// <summary>
/// The deny-list file (Strongroom:DenyListFile) changes who is refused without a restart; a broken
/// edit never lifts a denial. Refresh() is what the reload timer and the first lookup after
/// ReloadInterval call; the whole-stack bound under load is measured in the resilience suite.
/// </summary>
public sealed class DenyListFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strongroom-denylist-").FullName;

    private string FilePath => Path.Combine(_dir, "deny-list");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private OptionsDenyList Create(params string[] fromConfiguration)
    {
        var options = new StrongroomHostingOptions { DenyList = [.. fromConfiguration] };
        // An hour: the timer never fires during the test, so each change is applied by Refresh() alone.
        options.Tls.ReloadInterval = TimeSpan.FromHours(1);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [OptionsDenyList.FileKey] = FilePath })
            .Build();
        return new OptionsDenyList(new FixedMonitor(options), configuration, TimeProvider.System);
    }

    private void Write(string text)
    {
        // As operators are told to: a temporary file renamed over the list.
        var temp = FilePath + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, FilePath, overwrite: true);
    }

    [Fact]
    public void An_identity_written_to_the_file_is_denied_after_a_refresh_and_allowed_again_when_removed()
    {
        using var list = Create("client/mallory");
        var alice = WorkloadIdentity.Client("alice");
        Assert.False(list.IsDenied(alice));

        Write("# incident 42\nclient/alice   # leaked laptop\n\n");
        Assert.False(list.IsDenied(alice));  // not before the file is read again
        list.Refresh();
        Assert.True(list.IsDenied(alice));
        Assert.True(list.IsDenied(WorkloadIdentity.Client("mallory")));  // configuration still applies
        Assert.False(list.IsDenied(WorkloadIdentity.Client("bob")));

        Write("client/bob\n");
        list.Refresh();
        Assert.False(list.IsDenied(alice));
        Assert.True(list.IsDenied(WorkloadIdentity.Client("bob")));
    }

    [Fact]
    public void A_file_with_a_line_that_is_not_an_identity_keeps_the_previous_list()
    {
        Write("client/alice\n");
        using var list = Create();
        Assert.True(list.IsDenied(WorkloadIdentity.Client("alice")));

        Write("client/bob\nnot an identity at all\n");
        list.Refresh();
        Assert.True(list.IsDenied(WorkloadIdentity.Client("alice")));
        Assert.False(list.IsDenied(WorkloadIdentity.Client("bob")));
    }

    [Fact]
    public void A_missing_file_denies_only_what_configuration_denies()
    {
        using var list = Create("client/mallory");
        list.Refresh();
        Assert.True(list.IsDenied(WorkloadIdentity.Client("mallory")));
        Assert.False(list.IsDenied(WorkloadIdentity.Client("alice")));
    }

    [Fact]
    public void A_service_identity_can_be_denied_through_the_file()
    {
        using var list = Create();
        Write("runner\n");
        list.Refresh();
        Assert.True(list.IsDenied(WorkloadIdentity.Runner));
        Assert.False(list.IsDenied(WorkloadIdentity.Signer));
    }

    private sealed class FixedMonitor(StrongroomHostingOptions value) : IOptionsMonitor<StrongroomHostingOptions>
    {
        public StrongroomHostingOptions CurrentValue => value;

        public StrongroomHostingOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<StrongroomHostingOptions, string?> listener) => null;
    }
}
