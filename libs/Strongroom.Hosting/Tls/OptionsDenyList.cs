using Microsoft.Extensions.Options;
using Strongroom.Pki;

namespace Strongroom.Hosting.Tls;

/// <summary>The deny-list from configuration; a reloaded configuration applies to the next handshake and call.</summary>
public sealed class OptionsDenyList : IDenyList
{
    private volatile HashSet<string> _denied;

    public OptionsDenyList(IOptionsMonitor<StrongroomHostingOptions> options)
    {
        _denied = Build(options.CurrentValue);
        options.OnChange(o => _denied = Build(o));
    }

    public bool IsDenied(WorkloadIdentity identity) => _denied.Contains(identity.Path);

    private static HashSet<string> Build(StrongroomHostingOptions options) =>
        options.DenyList.Select(d => WorkloadIdentity.ParseShort(d).Path).ToHashSet(StringComparer.Ordinal);
}
