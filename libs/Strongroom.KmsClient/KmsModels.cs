namespace Strongroom.KmsClient;

/// <summary>The state of one KEK version, as the KMS reports it.</summary>
public enum KmsVersionState
{
    /// <summary>A state Strongroom never creates (pending generation or import, external destruction…).</summary>
    Other = 0,
    Enabled,
    Disabled,
    DestroyScheduled,
    Destroyed,
}

/// <summary>One KEK version: number, state and destruction times.</summary>
public sealed record KmsVersionInfo(int Version, KmsVersionState State, DateTimeOffset? DestroyTime, DateTimeOffset? DestroyEventTime);

/// <summary>What Encrypt produced: the opaque ciphertext and the version that made it.</summary>
public sealed record KmsCiphertext(byte[] Ciphertext, string VersionName, int Version);

/// <summary>A CryptoKey: its name, primary version (null when none) and destroy grace.</summary>
public sealed record KmsCryptoKeyInfo(string Name, int? PrimaryVersion, TimeSpan? DestroyGrace);
