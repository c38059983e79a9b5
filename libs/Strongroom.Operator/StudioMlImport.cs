using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Crypto;
using Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;

namespace Strongroom.Operator;

/// <summary>
/// Imports the StudioML runner's RSA key pair into keyservice: decrypt the legacy PEM locally,
/// seal the PKCS#8 key to keyservice's import key (HPKE, info <c>strongroom/import/v1</c>, AAD =
/// key name), and send only the sealed bytes. The PEM passphrase never leaves this process.
/// </summary>
public static class StudioMlImport
{
    public static ReadOnlySpan<byte> ImportInfo => "strongroom/import/v1"u8;

    /// <summary>Runs the import over keyservice's admin listener (KeyAdmin creates the key, KeyServiceAdmin imports it).</summary>
    public static async Task<KeyVersion> RunAsync(CallInvoker keyServiceAdmin, string keyName, string pem, char[] passphrase, CancellationToken cancellationToken)
    {
        var keys = new KeyAdmin.V1.KeyAdmin.KeyAdminClient(keyServiceAdmin);
        var admin = new KeyServiceApi.KeyServiceAdmin.KeyServiceAdminClient(keyServiceAdmin);
        var pkcs8 = LegacyPem.ReadRsaPrivateKeyPkcs8(pem, passphrase);
        try
        {
            try
            {
                await keys.CreateKeyAsync(new CreateKeyRequest { KeyName = keyName, Kind = KeyKind.Rsa4096, SkipInitialVersion = true }, cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
            {
                // Importing a new version into an existing key.
            }

            var importKey = await admin.GetImportKeyAsync(new KeyServiceApi.GetImportKeyRequest(), cancellationToken: cancellationToken);
            var recipient = X25519PublicKey.Import(importKey.PublicKey.Span);
            var sealedKey = Hpke.Seal(recipient, ImportInfo, Encoding.UTF8.GetBytes(keyName), pkcs8);
            var response = await admin.ImportKeyAsync(new KeyServiceApi.ImportKeyRequest
            {
                KeyName = keyName,
                Format = KeyServiceApi.ImportFormat.Pkcs8Der,
                ImportKid = importKey.Kid,
                Enc = ByteString.CopyFrom(sealedKey.EncapsulatedKey),
                Ciphertext = ByteString.CopyFrom(sealedKey.Ciphertext),
                SetPrimary = true,
            }, cancellationToken: cancellationToken);
            return response.Version;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
            Array.Clear(passphrase);
        }
    }
}
