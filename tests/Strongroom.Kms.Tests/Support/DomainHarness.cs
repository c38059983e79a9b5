using Microsoft.Extensions.Logging.Abstractions;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Storage;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Kms.Tests.Support;

/// <summary>Keeps the last saved state as the store would (through the real codec), and can be made to fail.</summary>
internal sealed class MemoryPersistence : IKmsStatePersistence
{
    public byte[] LastPayload { get; private set; } = [];

    public int Saves { get; private set; }

    public bool Fail { get; set; }

    public void Save(KmsState state)
    {
        if (Fail)
        {
            throw new IOException("disk full");
        }

        using var payload = StoreCodec.Serialize(state);
        LastPayload = payload.Span.ToArray();
        Saves++;
    }
}

/// <summary>A <see cref="KeyManager"/> constructed directly over in-memory persistence and a manual clock.</summary>
internal sealed class DomainHarness : IDisposable
{
    public const string Ring = "projects/p/locations/l/keyRings/keyservice";

    public DomainHarness(bool allowZeroGrace = false, IReadOnlyDictionary<string, WorkloadIdentity>? bindings = null, KmsState? state = null)
    {
        State = state ?? new KmsState();
        Keys = new KeyManager(
            State,
            Persistence,
            new KeyManagerSettings { AllowZeroDestroyGrace = allowZeroGrace, KeyRingBindings = bindings ?? new Dictionary<string, WorkloadIdentity>() },
            Time,
            Sizes,
            NullLogger<KeyManager>.Instance);
    }

    public KmsState State { get; }

    public MemoryPersistence Persistence { get; } = new();

    public ManualClock Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public PlaintextSizeRecorder Sizes { get; } = new();

    public KeyManager Keys { get; }

    public static WorkloadIdentity KeyService => WorkloadIdentity.KeyService;

    public string NewKey(TimeSpan grace)
    {
        if (!State.Rings.ContainsKey(Ring))
        {
            Keys.Admin.CreateKeyRing(KeyService, "projects/p/locations/l", "keyservice");
        }

        var id = "k" + Guid.NewGuid().ToString("N")[..8];
        return Keys.Admin.CreateCryptoKey(KeyService, Ring, id, new CryptoKeySpec(grace, new Dictionary<string, string>(), false)).Name;
    }

    public KeyVersionRecord Version(string keyName, int number) =>
        State.Rings[Ring].Keys[keyName[(keyName.LastIndexOf('/') + 1)..]].Versions[number - 1];

    public void Dispose() => Keys.Dispose();
}
