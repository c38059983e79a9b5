using Strongroom.Core;
using Strongroom.KeyAdmin;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyService.Domain;
using Strongroom.KmsClient;
using KeyPurpose = Strongroom.KeyAdmin.V1.KeyPurpose;

namespace Strongroom.KeyService.Grpc;

/// <summary>keyservice's part of KeyAdmin: decryption kinds only, importable keys, the import key reserved.</summary>
public sealed class KeyServiceKeyAdmin(KeyServiceOptions options, KekClient kms) : KeyAdminProfile
{
    public override IReadOnlyList<string> Kinds { get; } = [Rsa4096Kind.KindName, X25519Kind.KindName];

    public override string KmsKeyRing => kms.KeyRing;

    public override bool CanImport => true;

    public override string KidOf(ManagedKey key, KeyVersion version) => PublicKeyView.Of(key.Kind, version).Kid;

    public override KeyPurpose PurposeOf(string keyName) =>
        keyName == options.ImportKeyName ? KeyPurpose.Import : KeyPurpose.RequestDecryption;

    public override string PurposeRule => $"keyservice keys are REQUEST_DECRYPTION; only its own '{options.ImportKeyName}' key is IMPORT";

    public override void CheckCreate(Strongroom.KeyAdmin.V1.CreateKeyRequest request)
    {
        // keyservice creates the import key itself; an operator's key of that name would be sealed to.
        if (request.KeyName == options.ImportKeyName)
        {
            throw StrongroomException.AlreadyExists($"key '{request.KeyName}'");
        }
    }
}
