using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Pki;

namespace Strongroom.Kms.Domain;

/// <summary>
/// Encrypt and Decrypt under a crypto key's KEK versions, with Cloud KMS's request checks (sizes,
/// CRC32C). Only the service a key is bound to may use it; operators never do.
/// </summary>
public sealed class KeyEncryption
{
    public const int MaxPlaintextBytes = 64 * 1024;
    public const int MaxAadBytes = 64 * 1024;
    public const int MaxCiphertextBytes = MaxPlaintextBytes + KekCiphertext.Overhead;

    private readonly SharedKmsState _state;
    private readonly DestructionSchedule _destructions;
    private readonly PlaintextSizeRecorder _sizes;

    internal KeyEncryption(SharedKmsState state, DestructionSchedule destructions, PlaintextSizeRecorder sizes)
    {
        _state = state;
        _destructions = destructions;
        _sizes = sizes;
    }

    public EncryptOutcome Encrypt(WorkloadIdentity caller, string name, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad, long? plaintextCrc32C, long? aadCrc32C)
    {
        var (keyName, requestedVersion) = ResourceNames.ParseCryptoKeyOrVersion("name", name);
        // Counted as received, before any check: the metric shows what callers send, refused or not.
        _sizes.Record(plaintext.Length);
        CheckEncryptRequest(plaintext, aad, plaintextCrc32C, aadCrc32C);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, keyName, KeyAccess.Use);
            var number = requestedVersion ?? key.Primary;
            if (number == 0)
            {
                throw StrongroomException.FailedPrecondition($"crypto key {keyName} has no primary version");
            }

            var versionName = keyName.Version(number);
            var version = SharedKmsState.FindVersion(key, versionName);
            if (version.State != KeyVersionState.Enabled)
            {
                throw SharedKmsState.NotInState(versionName, version, "ENABLED");
            }

            var ciphertext = KekCiphertext.Seal(version.Material!, key.Name, number, plaintext, aad);
            return new EncryptOutcome(versionName.ToString(), ciphertext, plaintextCrc32C is not null, aadCrc32C is not null);
        }
    }

    public DecryptOutcome Decrypt(WorkloadIdentity caller, string name, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> aad, long? ciphertextCrc32C, long? aadCrc32C)
    {
        // As in Cloud KMS, Decrypt names the CryptoKey; the ciphertext names its version.
        var keyName = ResourceNames.ParseCryptoKey("name", name);
        CheckDecryptRequest(ciphertext, aad, ciphertextCrc32C, aadCrc32C);
        lock (_state.Gate)
        {
            _destructions.SweepDueLocked();
            var key = _state.FindKey(caller, keyName, KeyAccess.Use);
            if (!KekCiphertext.TryReadVersion(ciphertext, out var number) || key.Find(number) is not { } version)
            {
                throw StrongroomException.InvalidArgument("ciphertext", "decryption failed: the ciphertext is invalid for this crypto key");
            }

            if (version.State != KeyVersionState.Enabled)
            {
                throw SharedKmsState.NotInState(keyName.Version(number), version, "ENABLED");
            }

            var plaintext = KekCiphertext.TryOpen(version.Material!, key.Name, ciphertext, aad)
                ?? throw StrongroomException.InvalidArgument("ciphertext", "decryption failed: the ciphertext or additional authenticated data does not match");
            return new DecryptOutcome(plaintext, number == key.Primary);
        }
    }

    /// <summary>
    /// Encrypt's checks of the request's bytes, before any key is looked up (public so the fuzzer
    /// exercises these very checks rather than a copy).
    /// </summary>
    public static void CheckEncryptRequest(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad, long? plaintextCrc32C, long? aadCrc32C)
    {
        if (plaintext.IsEmpty)
        {
            throw StrongroomException.InvalidArgument("plaintext", "is required");
        }

        if (plaintext.Length > MaxPlaintextBytes)
        {
            throw StrongroomException.InvalidArgument("plaintext", $"must be at most {MaxPlaintextBytes} bytes");
        }

        if (aad.Length > MaxAadBytes)
        {
            throw StrongroomException.InvalidArgument("additional_authenticated_data", $"must be at most {MaxAadBytes} bytes");
        }

        VerifyChecksum(plaintext, plaintextCrc32C, "plaintext_crc32c", "plaintext");
        VerifyChecksum(aad, aadCrc32C, "additional_authenticated_data_crc32c", "additional_authenticated_data");
    }

    /// <summary>Decrypt's checks of the request's bytes, before any key is looked up.</summary>
    public static void CheckDecryptRequest(ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> aad, long? ciphertextCrc32C, long? aadCrc32C)
    {
        if (ciphertext.IsEmpty)
        {
            throw StrongroomException.InvalidArgument("ciphertext", "is required");
        }

        if (ciphertext.Length > MaxCiphertextBytes)
        {
            throw StrongroomException.InvalidArgument("ciphertext", $"must be at most {MaxCiphertextBytes} bytes");
        }

        if (aad.Length > MaxAadBytes)
        {
            throw StrongroomException.InvalidArgument("additional_authenticated_data", $"must be at most {MaxAadBytes} bytes");
        }

        VerifyChecksum(ciphertext, ciphertextCrc32C, "ciphertext_crc32c", "ciphertext");
        VerifyChecksum(aad, aadCrc32C, "additional_authenticated_data_crc32c", "additional_authenticated_data");
    }

    private static void VerifyChecksum(ReadOnlySpan<byte> data, long? expected, string field, string dataField)
    {
        // Cloud KMS semantics: a checksum that does not match means corruption in transit; refuse the request.
        if (expected is { } crc && !Crc32C.Matches(data, crc))
        {
            throw StrongroomException.InvalidArgument(field, $"does not match the data in {dataField} (corrupted in transit?)");
        }
    }
}
