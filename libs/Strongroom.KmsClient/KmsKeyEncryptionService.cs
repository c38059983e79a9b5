using Strongroom.Core;
using Strongroom.KeyCustody;

namespace Strongroom.KmsClient;

/// <summary>Custody's KEK operations over the Cloud KMS v1 client (local kms or Google Cloud KMS).</summary>
public sealed class KmsKeyEncryptionService(KekClient kms) : IKeyEncryptionService
{
    public async Task EnsureCryptoKeyAsync(string keyId, TimeSpan destroyGrace, CancellationToken cancellationToken)
    {
        await Call(async () =>
        {
            await kms.EnsureKeyRingAsync(cancellationToken);
            try
            {
                await kms.CreateCryptoKeyAsync(keyId, destroyGrace, skipInitialVersion: true, cancellationToken: cancellationToken);
            }
            catch (KmsException ex) when (ex.Kind == KmsErrorKind.AlreadyExists)
            {
                // A previous attempt created it; custody's own store decides whether the key exists.
            }

            return 0;
        });
    }

    public Task<int> PrepareVersionAsync(string keyId, int firstUnusedVersion, CancellationToken cancellationToken) => Call(async () =>
    {
        int kmsVersion;
        try
        {
            var existing = await kms.GetVersionStateAsync(keyId, firstUnusedVersion, cancellationToken);
            kmsVersion = existing.State == KmsVersionState.Enabled
                ? firstUnusedVersion
                : await kms.CreateVersionAsync(keyId, cancellationToken);
        }
        catch (KmsException ex) when (ex.Kind == KmsErrorKind.NotFound)
        {
            kmsVersion = await kms.CreateVersionAsync(keyId, cancellationToken);
        }

        await kms.SetPrimaryAsync(keyId, kmsVersion, cancellationToken);
        return kmsVersion;
    });

    public Task<byte[]> EncryptAsync(string keyId, int kmsVersion, ReadOnlyMemory<byte> dataKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken) =>
        Call(async () => (await kms.EncryptAsync(keyId, kmsVersion, dataKey, associatedData, cancellationToken)).Ciphertext);

    public Task<byte[]> DecryptAsync(string keyId, ReadOnlyMemory<byte> ciphertext, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken) =>
        Call(() => kms.DecryptAsync(keyId, ciphertext, associatedData, cancellationToken));

    public Task DisableVersionAsync(string keyId, int version, CancellationToken cancellationToken) =>
        Call(() => kms.DisableVersionAsync(keyId, version, cancellationToken));

    public Task EnableVersionAsync(string keyId, int version, CancellationToken cancellationToken) =>
        Call(() => kms.EnableVersionAsync(keyId, version, cancellationToken));

    public Task ScheduleDestroyVersionAsync(string keyId, int version, CancellationToken cancellationToken) =>
        Call(() => kms.ScheduleDestroyAsync(keyId, version, cancellationToken));

    public Task RestoreVersionAsync(string keyId, int version, CancellationToken cancellationToken) =>
        Call(() => kms.RestoreAsync(keyId, version, cancellationToken));

    /// <summary>KMS failures reach our callers as UNAVAILABLE or FAILED_PRECONDITION, never with kms internals.</summary>
    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (KmsException ex)
        {
            throw ex.Kind switch
            {
                KmsErrorKind.FailedPrecondition => StrongroomException.FailedPrecondition("the kms refused: key version not enabled"),
                KmsErrorKind.PermissionDenied => StrongroomException.Unavailable("the kms refused this service's identity"),
                _ => StrongroomException.Unavailable("the kms is unavailable; retry"),
            };
        }
    }
}
