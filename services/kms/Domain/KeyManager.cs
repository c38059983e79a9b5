using Microsoft.Extensions.Logging;
using Strongroom.Kms.Storage;

namespace Strongroom.Kms.Domain;

/// <summary>
/// The local kms's logic, free of gRPC, assembled over one <see cref="KmsState"/>: key-ring, key and
/// version administration (<see cref="Admin"/>), Encrypt/Decrypt under KEK versions
/// (<see cref="Crypto"/>), and scheduled destruction (<see cref="Destructions"/>). The three share one
/// lock and one store: the state is one consistent unit, and calls are rare (keyservice and signer
/// cache unwrapped keys), each holding the lock for microseconds.
/// </summary>
public sealed class KeyManager : IDisposable
{
    private readonly SharedKmsState _shared;

    internal KeyManager(KmsState state, IKmsStatePersistence persistence, KeyManagerSettings settings, TimeProvider time, PlaintextSizeRecorder sizes, ILogger<KeyManager> logger)
    {
        _shared = new SharedKmsState(state, persistence, settings, time, logger);
        Destructions = new DestructionSchedule(_shared);
        Admin = new KeyAdministration(_shared, Destructions);
        Crypto = new KeyEncryption(_shared, Destructions, sizes);
    }

    public KeyAdministration Admin { get; }

    public KeyEncryption Crypto { get; }

    public DestructionSchedule Destructions { get; }

    /// <summary>Erases every KEK in memory and closes the store.</summary>
    public void Dispose() => _shared.Dispose();
}
