using Strongroom.KeyAdmin;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KmsClient;
using Strongroom.Signer.Domain;
using KeyPurpose = Strongroom.KeyAdmin.V1.KeyPurpose;

namespace Strongroom.Signer.Grpc;

/// <summary>signer's part of KeyAdmin: Ed25519 only, no import, the configured log key is the one LOG_CHECKPOINT key.</summary>
public sealed class SignerKeyAdmin(SigningKeySet keys, SignerOptions options, KekClient kms) : KeyAdminProfile
{
    public override IReadOnlyList<string> Kinds { get; } = [Ed25519Kind.KindName];

    public override string KmsKeyRing => kms.KeyRing;

    public override string KidOf(ManagedKey key, KeyVersion version) => SigningKeySet.KidOf(version.PublicKey);

    public override KeyPurpose PurposeOf(string keyName) =>
        keys.PurposeOf(keyName) == SigningPurpose.LogCheckpoint ? KeyPurpose.LogCheckpoint : KeyPurpose.Jws;

    // One log key, named in configuration: a second one would let checkpoints be signed by a key clients never pinned.
    public override string PurposeRule => $"only the configured log key '{options.LogKeyName}' has purpose LOG_CHECKPOINT; every other key is JWS";
}
