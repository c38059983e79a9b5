namespace Strongroom.KeyLog;

/// <summary>What a published key is for; fixes its algorithm.</summary>
public enum KeyKind
{
    StudioMlDecryption = 1,
    RequestDecryption,
    ResultSigning,
    LogSigning,
    ClientSigning,
    ClientSealing,
}

/// <summary>A key version's state as the log records it. Revoked is terminal; destroyed can only become revoked.</summary>
public enum KeyState
{
    Enabled = 1,
    Disabled,
    DestroyScheduled,
    Destroyed,
    Revoked,
}

/// <summary>A marker on one version of a named key (not a state change).</summary>
public enum KeyMark
{
    Primary = 1,
    MinimumVersion,
}
