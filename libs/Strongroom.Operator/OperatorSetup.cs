using Grpc.Core;
using Strongroom.Client;
using Strongroom.Crypto;
using Strongroom.Pki;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using SignerApi = Strongroom.Signer.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Operator;

/// <summary>The operator's side of onboarding an experimenter, over admin listeners and storage directly (never the edge).</summary>
public static class OperatorSetup
{
    /// <summary>Creates key <paramref name="name"/> on the service <paramref name="admin"/> reaches unless it exists; returns a line saying which.</summary>
    public static async Task<string> EnsureKeyAsync(KeyAdminApi.KeyAdmin.KeyAdminClient admin, string name, KeyAdminApi.KeyKind kind, CancellationToken cancellationToken)
    {
        try
        {
            var existing = await admin.GetKeyAsync(new KeyAdminApi.GetKeyRequest { KeyName = name }, cancellationToken: cancellationToken);
            return $"key '{name}' exists (primary version {existing.Key.PrimaryVersion})";
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            var created = await admin.CreateKeyAsync(new KeyAdminApi.CreateKeyRequest { KeyName = name, Kind = kind }, cancellationToken: cancellationToken);
            return $"created {(kind switch { KeyAdminApi.KeyKind.Rsa4096 => "RSA-4096", KeyAdminApi.KeyKind.Ed25519 => "Ed25519", _ => "X25519" })} key '{name}'; version 1 wrapped by {created.Key.Versions[0].KmsCryptoKeyVersion}";
        }
    }

    /// <summary>
    /// The signer's checkpoint key as a C2SP note verifier key, read on the signer's admin listener
    /// and written (public, 0644) where clients read it. Clients must get it out of band: a key
    /// learned from storage or the edge would let them vouch for themselves.
    /// </summary>
    public static async Task<SignerApi.GetLogKeyResponse> FetchLogKeyAsync(ServiceConnections asOperator, string signerAdminAddress, string writeTo, CancellationToken cancellationToken)
    {
        var signer = new SignerApi.SignerAdmin.SignerAdminClient(asOperator.To(signerAdminAddress, "signer"));
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var key = await signer.GetLogKeyAsync(new SignerApi.GetLogKeyRequest(), cancellationToken: cancellationToken);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(writeTo))!);
                SecureFile.WriteAllText(writeTo, key.NoteVerifierKey + "\n", secret: false);
                return key;
            }
            catch (RpcException ex) when (attempt < 120 && ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.Unavailable)
            {
                // The signer creates its log key in the background after start.
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Registers the client's keys with a registration signed by the operator key storage pins.
    /// Idempotent: when storage already has these keys for this identity, that is success.
    /// </summary>
    public static Task<(string SigningKid, string SealingKid, bool AlreadyRegistered)> RegisterAsync(
        StorageApi.Storage.StorageClient storageDirect, Ed25519KeyPair operatorKey, string identity, ClientIdentityKeys keys, CancellationToken cancellationToken) =>
        RegisterAsync(storageDirect, operatorKey, identity, ClientPublicKeys.Of(keys), cancellationToken);

    public static async Task<(string SigningKid, string SealingKid, bool AlreadyRegistered)> RegisterAsync(
        StorageApi.Storage.StorageClient storageDirect, Ed25519KeyPair operatorKey, string identity, ClientPublicKeys keys, CancellationToken cancellationToken)
    {
        var full = identity.StartsWith(WorkloadIdentity.Prefix, StringComparison.Ordinal) ? identity : WorkloadIdentity.Prefix + identity;
        var jws = RegistrationJws.Sign(operatorKey, Registration.Payload(full, keys.AuthorizedKeyLine, keys.SealingJwk));
        try
        {
            var response = await storageDirect.RegisterClientAsync(new StorageApi.RegisterClientRequest { RegistrationJws = jws }, cancellationToken: cancellationToken);
            return (response.SigningKid, response.SealingKid, false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            foreach (var kid in new[] { keys.SigningKid, keys.SealingKid })
            {
                StorageApi.LookupKeyResponse found;
                try
                {
                    found = await storageDirect.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = kid }, cancellationToken: cancellationToken);
                }
                catch (RpcException lookup) when (lookup.StatusCode == StatusCode.NotFound)
                {
                    throw new RegistrationConflictException($"storage refused the registration ({ex.Status.Detail}) and does not have key {kid}: the identity {full} is registered with other keys; use a new client name or revoke the old keys", ex);
                }

                if (found.OwnerIdentity != full)
                {
                    throw new RegistrationConflictException($"key {kid} is registered to {found.OwnerIdentity}, not {full}: generate fresh keys with 'strongroom client keygen'", ex);
                }
            }

            return (keys.SigningKid, keys.SealingKid, true);
        }
    }

    /// <summary>Waits until storage serves <paramref name="kid"/> (keyservice and signer publish through an outbox, so shortly after).</summary>
    public static async Task WaitPublishedAsync(StorageApi.Storage.StorageClient storage, string kid, CancellationToken cancellationToken, int attempts = 240)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await storage.LookupKeyAsync(new StorageApi.LookupKeyRequest { Kid = kid }, cancellationToken: cancellationToken);
                return;
            }
            catch (RpcException ex) when (attempt < attempts && ex.StatusCode == StatusCode.NotFound)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>Has the signer checkpoint the tree now, so clients can prove what was just published.</summary>
    public static async Task<StorageApi.Checkpoint> CheckpointAsync(ServiceConnections asOperator, string storageAdminAddress, CancellationToken cancellationToken) =>
        (await new StorageApi.StorageAdmin.StorageAdminClient(asOperator.To(storageAdminAddress, "storage"))
            .RequestCheckpointAsync(new StorageApi.RequestCheckpointRequest(), cancellationToken: cancellationToken)).Checkpoint;
}

/// <summary>Storage already holds other keys for the identity, or these keys for another identity; the message says which.</summary>
public sealed class RegistrationConflictException : Exception
{
    public RegistrationConflictException()
    {
    }

    public RegistrationConflictException(string message)
        : base(message)
    {
    }

    public RegistrationConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The public halves of a client's keys: all an operator needs to register it.</summary>
public sealed record ClientPublicKeys(string AuthorizedKeyLine, string SealingJwk, string SigningKid, string SealingKid)
{
    public static ClientPublicKeys Of(ClientIdentityKeys keys) => new(keys.AuthorizedKeyLine(), keys.SealingPublicJwk(), keys.SigningKid, keys.SealingKid);

    /// <summary>From <c>signing.pub</c> and <c>sealing.jwk.json</c> of a key folder; the kids are recomputed here.</summary>
    public static ClientPublicKeys Load(string directory)
    {
        var line = File.ReadAllText(Path.Combine(directory, ClientIdentityKeys.SigningPublicFile)).Trim();
        var sealing = File.ReadAllText(Path.Combine(directory, ClientIdentityKeys.SealingJwkFile)).Trim();
        var (signingKey, _) = OpenSsh.ParseAuthorizedKey(line);
        using var signingJwk = JsonWebKey.FromPublicKey(signingKey);
        using var sealingJwk = JsonWebKey.Parse(sealing);
        if (sealingJwk.KeyType != JwkKeyType.X25519 || sealingJwk.HasPrivateKey)
        {
            throw new InvalidDataException($"{ClientIdentityKeys.SealingJwkFile} in {directory} must be a public X25519 JWK");
        }

        return new ClientPublicKeys(line, sealing, signingJwk.Thumbprint(), sealingJwk.Thumbprint());
    }
}
