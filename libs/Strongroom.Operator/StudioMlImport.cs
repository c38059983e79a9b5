using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Strongroom.Crypto;
using Strongroom.KeyService.V1;

namespace Strongroom.Operator;

/// <summary>
/// Imports the StudioML runner's RSA key pair into keyservice: decrypt the legacy PEM locally,
/// seal the PKCS#8 key to keyservice's import key (HPKE, info <c>strongroom/import/v1</c>, AAD =
/// key name), and send only the sealed bytes. The PEM passphrase never leaves this process.
/// </summary>
public static class StudioMlImport
{
    public static ReadOnlySpan<byte> ImportInfo => "strongroom/import/v1"u8;

    public static async Task<KeyVersion> RunAsync(KeyServiceAdmin.KeyServiceAdminClient admin, string keyName, string pem, char[] passphrase, CancellationToken cancellationToken)
    {
        var pkcs8 = LegacyPem.ReadRsaPrivateKeyPkcs8(pem, passphrase);
        try
        {
            try
            {
                await admin.CreateKeyAsync(new CreateKeyRequest { KeyName = keyName, Kind = KeyKind.Rsa4096, SkipInitialVersion = true }, cancellationToken: cancellationToken);
            }
            catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.AlreadyExists)
            {
                // Importing a new version into an existing key.
            }

            var importKey = await admin.GetImportKeyAsync(new GetImportKeyRequest(), cancellationToken: cancellationToken);
            var recipient = X25519PublicKey.Import(importKey.PublicKey.Span);
            var sealedKey = Hpke.Seal(recipient, ImportInfo, Encoding.UTF8.GetBytes(keyName), pkcs8);
            var response = await admin.ImportKeyAsync(new ImportKeyRequest
            {
                KeyName = keyName,
                Format = ImportFormat.Pkcs8Der,
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
