using System.Security.Cryptography;

namespace Strongroom.Kms.Domain;

/// <summary>The lifecycle of a KEK version, as Cloud KMS names it.</summary>
public enum KeyVersionState
{
    Enabled = 1,
    Disabled = 2,

    /// <summary>Refuses every operation; restorable (to Disabled) until its destroy time.</summary>
    DestroyScheduled = 3,

    /// <summary>The key material is erased from memory and from the sealed store; nothing brings it back.</summary>
    Destroyed = 4,
}

/// <summary>
/// Everything the kms keeps: key rings, their crypto keys and versions with their key material.
/// Mutable and not thread-safe: <see cref="SharedKmsState"/> owns it and holds its lock. The one
/// place cleartext KEK bytes live in this process (besides the serialized buffer being sealed).
/// </summary>
internal sealed class KmsState : IDisposable
{
    public SortedDictionary<string, KeyRingRecord> Rings { get; } = new(StringComparer.Ordinal);

    public IEnumerable<KeyVersionRecord> AllVersions =>
        Rings.Values.SelectMany(r => r.Keys.Values).SelectMany(k => k.Versions);

    public void Dispose()
    {
        foreach (var version in AllVersions)
        {
            version.EraseMaterial();
        }
    }
}

internal sealed class KeyRingRecord
{
    public required string Name { get; init; }

    public required long CreateTimeMs { get; init; }

    /// <summary>Identity path of the service that created the ring ("" when an operator did).</summary>
    public required string Owner { get; init; }

    /// <summary>Crypto keys by id.</summary>
    public SortedDictionary<string, CryptoKeyRecord> Keys { get; } = new(StringComparer.Ordinal);
}

internal sealed class CryptoKeyRecord
{
    public required string Name { get; init; }

    public required long CreateTimeMs { get; init; }

    /// <summary>Fixed at creation, as in Cloud KMS.</summary>
    public required long DestroyGraceSeconds { get; init; }

    /// <summary>The one service identity (path, e.g. <c>keyservice</c>) that may encrypt and decrypt with this key.</summary>
    public required string Binding { get; init; }

    /// <summary>Primary version number; 0 when the key has none.</summary>
    public int Primary { get; set; }

    public SortedDictionary<string, string> Labels { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Versions in order; version n is at index n − 1 (versions are never deleted, only destroyed).</summary>
    public List<KeyVersionRecord> Versions { get; } = [];

    public KeyVersionRecord? Find(int number) =>
        number >= 1 && number <= Versions.Count ? Versions[number - 1] : null;
}

internal sealed class KeyVersionRecord
{
    public const int MaterialSize = 32;

    public required int Number { get; init; }

    public required long CreateTimeMs { get; init; }

    public KeyVersionState State { get; set; }

    /// <summary>When a scheduled destruction happens (or happened).</summary>
    public long? DestroyTimeMs { get; set; }

    /// <summary>When the material was actually erased.</summary>
    public long? DestroyEventTimeMs { get; set; }

    /// <summary>The AES-256 KEK; pinned so the GC never leaves a stray copy; null once destroyed.</summary>
    public byte[]? Material { get; private set; }

    public static byte[] NewMaterialBuffer() => GC.AllocateArray<byte>(MaterialSize, pinned: true);

    public void SetMaterial(byte[] pinnedMaterial) => Material = pinnedMaterial;

    public void EraseMaterial()
    {
        if (Material is { } material)
        {
            CryptographicOperations.ZeroMemory(material);
            Material = null;
        }
    }
}
