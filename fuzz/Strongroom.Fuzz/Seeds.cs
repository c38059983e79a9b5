using System.Reflection;
using System.Text;
using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Strongroom.Crypto;
using Strongroom.Requests;
using Strongroom.Runner.V1;

namespace Strongroom.Fuzz;

/// <summary>
/// Seeds no fixture file holds: valid Strongroom envelopes under the targets' fixed keys, and Cloud
/// KMS Encrypt/Decrypt requests (binary and JSON) whose ciphertexts open under the fixed KEK. Run
/// once by hand (<c>--seeds fuzz/corpus</c>); the output is checked in.
/// </summary>
internal static class Seeds
{
    private const string KeyName = "projects/strongroom-dev/locations/global/keyRings/keyservice/cryptoKeys/kek";

    private delegate byte[] KekSealer(ReadOnlySpan<byte> kek, string cryptoKeyName, int version, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad);

    public static void Write(string root)
    {
        string envelopes = Directory.CreateDirectory(Path.Combine(root, "envelope")).FullName;
        for (int i = 0; i < 3; i++)
        {
            var header = new Header
            {
                Version = 1,
                RecipientKid = "runner-hpke-1",
                SigningKid = "client-ed25519-1",
                ClientIdentity = "client-" + i,
                RequestId = ByteString.CopyFrom(Enumerable.Repeat((byte)(0xA0 + i), 16).ToArray()),
                JobName = i == 2 ? string.Empty : "echo",
                CreatedAt = 1_795_000_000 + i,
                ExpiresAt = 1_795_000_600 + i,
                ResultKid = i == 1 ? string.Empty : "client-x25519-1",
            };
            byte[] headerBytes = EnvelopeHeader.Serialize(header).ToByteArray();
            byte[] plaintext = Encoding.UTF8.GetBytes("{\"args\":[\"hello\"," + i + "]}");
            HpkeSealedMessage sealedMessage = Hpke.Seal(Fixtures.EnvelopeRecipient.PublicKey, Hpke.RequestInfo, headerBytes, plaintext);
            byte[] signature = StrongroomEnvelope.Sign(Fixtures.EnvelopeSigningKey, headerBytes, sealedMessage.EncapsulatedKey, sealedMessage.Ciphertext);
            var envelope = new Envelope
            {
                Header = ByteString.CopyFrom(headerBytes),
                Enc = ByteString.CopyFrom(sealedMessage.EncapsulatedKey),
                Ct = ByteString.CopyFrom(sealedMessage.Ciphertext),
                Signature = ByteString.CopyFrom(signature),
            };
            File.WriteAllBytes(Path.Combine(envelopes, $"valid-{i}.bin"), envelope.ToByteArray());
            File.WriteAllBytes(Path.Combine(envelopes, $"header-{i}.bin"), headerBytes);
        }

        MethodInfo seal = Assembly.Load("Strongroom.Kms").GetType("Strongroom.Kms.Domain.KekCiphertext", throwOnError: true)!
            .GetMethod("Seal", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!;
        var sealer = seal.CreateDelegate<KekSealer>();
        string kms = Directory.CreateDirectory(Path.Combine(root, "kms")).FullName;
        byte[] data = Encoding.UTF8.GetBytes("a 32-byte data encryption key..");
        byte[] aad = Encoding.UTF8.GetBytes("strongroom/dek/v1");
        var encrypt = new EncryptRequest
        {
            Name = KeyName,
            Plaintext = ByteString.CopyFrom(data),
            AdditionalAuthenticatedData = ByteString.CopyFrom(aad),
            PlaintextCrc32C = Crc32C.ComputeAsInt64(data),
            AdditionalAuthenticatedDataCrc32C = Crc32C.ComputeAsInt64(aad),
        };
        var encryptVersion = new EncryptRequest { Name = KeyName + "/cryptoKeyVersions/3", Plaintext = ByteString.CopyFrom(data) };
        byte[] ciphertext = sealer(Fixtures.Kek, KeyName, 1, data, aad);
        var decrypt = new DecryptRequest
        {
            Name = KeyName,
            Ciphertext = ByteString.CopyFrom(ciphertext),
            AdditionalAuthenticatedData = ByteString.CopyFrom(aad),
            CiphertextCrc32C = Crc32C.ComputeAsInt64(ciphertext),
            AdditionalAuthenticatedDataCrc32C = Crc32C.ComputeAsInt64(aad),
        };
        var decryptNoAad = new DecryptRequest { Name = KeyName, Ciphertext = ByteString.CopyFrom(sealer(Fixtures.Kek, KeyName, 2, data, [])) };
        File.WriteAllBytes(Path.Combine(kms, "encrypt.bin"), encrypt.ToByteArray());
        File.WriteAllBytes(Path.Combine(kms, "encrypt-version.bin"), encryptVersion.ToByteArray());
        File.WriteAllBytes(Path.Combine(kms, "decrypt.bin"), decrypt.ToByteArray());
        File.WriteAllBytes(Path.Combine(kms, "decrypt-no-aad.bin"), decryptNoAad.ToByteArray());
        File.WriteAllText(Path.Combine(kms, "encrypt.json"), JsonFormatter.Default.Format(encrypt));
        File.WriteAllText(Path.Combine(kms, "decrypt.json"), JsonFormatter.Default.Format(decrypt));
        File.WriteAllText(Path.Combine(kms, "name-version.txt"), KeyName + "/cryptoKeyVersions/1");
        File.WriteAllText(Path.Combine(kms, "name-location.txt"), "projects/strongroom-dev/locations/global");
    }
}
