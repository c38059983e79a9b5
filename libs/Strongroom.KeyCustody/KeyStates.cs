using System.Text;

namespace Strongroom.KeyCustody;

/// <summary>How errors name a version's state.</summary>
internal static class KeyStates
{
    public static string Describe(KeyVersionState? state) => state switch
    {
        KeyVersionState.Enabled => "enabled",
        KeyVersionState.Disabled => "disabled",
        KeyVersionState.DestroyScheduled => "scheduled for destruction",
        KeyVersionState.Destroyed => "destroyed",
        _ => "missing",
    };
}

/// <summary>AAD binding sealed key bytes and wrapped DEK to this service, key and version.</summary>
internal sealed class KeyAssociatedData(string service)
{
    public byte[] For(string name, int version) => Encoding.UTF8.GetBytes($"strongroom/{service}/key/{name}/v{version}");
}
