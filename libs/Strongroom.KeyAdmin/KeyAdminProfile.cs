using Strongroom.KeyCustody;
using Api = Strongroom.KeyAdmin.V1;

namespace Strongroom.KeyAdmin;

/// <summary>
/// What differs between the services that serve <see cref="KeyAdminGrpc"/> (keyservice, signer):
/// the kinds they hold, how they name kids and purposes, and their own CreateKey refusals. Each
/// service registers one with <see cref="KeyAdminExtensions.AddKeyAdmin{TProfile}"/>.
/// </summary>
public abstract class KeyAdminProfile
{
    /// <summary>
    /// The KeyCustody kind names (<c>Kinds.*Kind.KindName</c>) this service holds, in the order a
    /// refusal lists them. A service holding exactly one kind lets CreateKey leave the kind unset.
    /// </summary>
    public abstract IReadOnlyList<string> Kinds { get; }

    /// <summary>The kms key ring wrapping this service's keys, for the kms names in Key and KeyVersion.</summary>
    public abstract string KmsKeyRing { get; }

    /// <summary>Whether this service has an ImportKey, so that a key created without versions can ever be used.</summary>
    public virtual bool CanImport => false;

    /// <summary>RFC 7638 thumbprint of a version's public half, as this service publishes it.</summary>
    public abstract string KidOf(ManagedKey key, KeyVersion version);

    /// <summary>The purpose this service gives a key name; keys never change purpose.</summary>
    public abstract Api.KeyPurpose PurposeOf(string keyName);

    /// <summary>Why a CreateKey naming another purpose is refused (the INVALID_ARGUMENT detail for purpose).</summary>
    public abstract string PurposeRule { get; }

    /// <summary>Service-specific refusals of a new key, checked before anything else (e.g. a reserved name).</summary>
    public virtual void CheckCreate(Api.CreateKeyRequest request)
    {
    }
}
