using System.Text;
using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Strongroom.Crypto;
using Strongroom.KeyAdmin.V1;
using Strongroom.KeyService.Tests.Support;
using Strongroom.KeyService.V1;
using Strongroom.Pki;
using Strongroom.Runner.V1;
using KeyKind = Strongroom.KeyAdmin.V1.KeyKind;

namespace Strongroom.KeyService.Tests;

/// <summary>X25519 keys across real process boundaries: rotation, destruction and crypto-shredding.</summary>
public sealed class HpkeKeyTests(CheckedKeyServiceStack fixture) : IClassFixture<CheckedKeyServiceStack>
{
    private static readonly WorkloadIdentity Runner = WorkloadIdentity.Runner;

    private KeyServiceStack Stack => fixture.Stack;

    /// <summary>A signed envelope from the registered HPKE test client; <paramref name="tweak"/> edits the header before it is signed.</summary>
    private (Envelope Envelope, byte[] Plaintext) Seal(V1.PublicKey recipient, string text, Action<Header>? tweak = null)
    {
        var fields = new Header
        {
            Version = 1,
            RecipientKid = recipient.Kid,
            SigningKid = fixture.HpkeSigningKid,
            ClientIdentity = CheckedKeyServiceStack.HpkeIdentity,
            RequestId = ByteString.CopyFrom(SecureRandom.GetBytes(16)),
            JobName = "score",
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ExpiresAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600,
        };
        tweak?.Invoke(fields);
        var header = fields.ToByteArray();
        using var jwk = JsonWebKey.Parse(recipient.JwkJson);
        var plaintext = Encoding.UTF8.GetBytes(text);
        var sealedMessage = Hpke.Seal(jwk.ToX25519PublicKey(), Hpke.RequestInfo, header, plaintext);
        return (Signed(new Envelope
        {
            Header = ByteString.CopyFrom(header),
            Enc = ByteString.CopyFrom(sealedMessage.EncapsulatedKey),
            Ct = ByteString.CopyFrom(sealedMessage.Ciphertext),
        }), plaintext);
    }

    private Envelope Signed(Envelope envelope)
    {
        envelope.Signature = ByteString.CopyFrom(StrongroomEnvelope.Sign(fixture.HpkeSigning, envelope.Header.Span, envelope.Enc.Span, envelope.Ct.Span));
        return envelope;
    }

    private async Task<byte[]> OpenThroughKeyService(Envelope envelope)
    {
        var keys = await Stack.Public(Runner).DecapsulateAsync(new DecapsulateRequest { Envelope = envelope, ClientIdentity = CheckedKeyServiceStack.HpkeIdentity });
        using var opener = new HpkeOpener(keys.AeadKey.Span, keys.BaseNonce.Span);
        return opener.Open(envelope.Header.Span, envelope.Ct.Span);
    }

    [Fact]
    public async Task A_message_sealed_to_version_one_opens_after_rotation_to_version_two()
    {
        var admin = Stack.Admin();
        await admin.CreateKeyAsync(new CreateKeyRequest { KeyName = "hpke-rotate", Kind = KeyKind.X25519 });
        var v1 = (await Stack.Public(WorkloadIdentity.Client("demo")).GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = "hpke-rotate" })).PublicKey;
        var (envelope, plaintext) = Seal(v1, "score this model");

        var rotated = await admin.RotateKeyAsync(new RotateKeyRequest { KeyName = "hpke-rotate" });
        var primary = (await Stack.Public(Runner).GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = "hpke-rotate" })).PublicKey;

        Assert.Equal(2u, rotated.Version.Version);
        Assert.Equal(2u, primary.Version);
        Assert.NotEqual(v1.Kid, primary.Kid);
        Assert.Equal(plaintext, await OpenThroughKeyService(envelope));
        var (fresh, freshPlaintext) = Seal(primary, "and this one");
        Assert.Equal(freshPlaintext, await OpenThroughKeyService(fresh));
    }

    [Fact]
    public async Task After_destroying_version_one_it_no_longer_opens_its_kms_version_is_destroyed_and_no_trace_remains_in_the_store()
    {
        var admin = Stack.Admin();
        await admin.CreateKeyAsync(new CreateKeyRequest { KeyName = "hpke-shred", Kind = KeyKind.X25519, SkipInitialVersion = true });
        // Import a key we know, so the store can be searched for the private key itself in every encoding.
        var privateKey = SecureRandom.GetBytes(32);
        var importKey = await Stack.Import().GetImportKeyAsync(new GetImportKeyRequest());
        var sealedKey = Hpke.Seal(X25519PublicKey.Import(importKey.PublicKey.Span), "strongroom/import/v1"u8, "hpke-shred"u8, privateKey);
        await Stack.Import().ImportKeyAsync(new ImportKeyRequest
        {
            KeyName = "hpke-shred", Format = ImportFormat.RawX25519, ImportKid = importKey.Kid, SetPrimary = true,
            Enc = ByteString.CopyFrom(sealedKey.EncapsulatedKey), Ciphertext = ByteString.CopyFrom(sealedKey.Ciphertext),
        });
        var v1 = (await Stack.Public(Runner).GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = "hpke-shred" })).PublicKey;
        var (envelope, plaintext) = Seal(v1, "sealed to version 1");
        Assert.Equal(plaintext, await OpenThroughKeyService(envelope));
        var (sealedBlob, wrappedDek) = ReadMaterial("hpke-shred", 1);
        await admin.RotateKeyAsync(new RotateKeyRequest { KeyName = "hpke-shred" });

        var destroyed = await admin.ScheduleDestroyKeyVersionAsync(new ScheduleDestroyKeyVersionRequest { KeyName = "hpke-shred", Version = 1 });

        Assert.Equal(Strongroom.KeyAdmin.V1.KeyVersionState.Destroyed, destroyed.Version.State);
        var refused = await Assert.ThrowsAsync<RpcException>(() => OpenThroughKeyService(envelope));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        var kmsVersion = await Stack.KmsAs(WorkloadIdentity.Operator("admin")).GetCryptoKeyVersionAsync(new GetCryptoKeyVersionRequest { Name = destroyed.Version.KmsCryptoKeyVersion });
        Assert.Equal(CryptoKeyVersion.Types.CryptoKeyVersionState.Destroyed, kmsVersion.State);

        var pkcs8 = Convert.FromHexString("302e020100300506032b656e04220420").Concat(privateKey).ToArray();
        var needles = new Dictionary<string, byte[]>
        {
            ["raw private key"] = privateKey,
            ["PKCS#8 DER"] = pkcs8,
            ["base64"] = Encoding.ASCII.GetBytes(Convert.ToBase64String(privateKey).TrimEnd('=')),
            ["PEM body"] = Encoding.ASCII.GetBytes(Convert.ToBase64String(pkcs8).TrimEnd('=')),
            ["base64url"] = Encoding.ASCII.GetBytes(StrictBase64.EncodeUrl(privateKey)),
            ["sealed key blob"] = sealedBlob,
            ["wrapped DEK"] = wrappedDek,
        };
        foreach (var file in new[] { Stack.StorePath, Stack.StorePath + "-wal", Stack.StorePath + "-shm" }.Where(File.Exists))
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var (what, needle) in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{Path.GetFileName(file)} still holds the {what}");
            }
        }
    }

    [Fact]
    public async Task The_kms_only_ever_receives_32_byte_data_keys()
    {
        await Stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "hpke-dek", Kind = KeyKind.X25519 });
        await Stack.Admin().RotateKeyAsync(new RotateKeyRequest { KeyName = "hpke-dek" });

        var sizes = Stack.KmsPlaintextSizes.Snapshot();

        Assert.NotEmpty(sizes);
        Assert.Equal([32], sizes.Keys);
    }

    [Fact]
    public async Task A_low_order_encapsulated_key_gets_key_material_not_an_error()
    {
        await Stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "hpke-oracle", Kind = KeyKind.X25519 });
        var v1 = (await Stack.Public(Runner).GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = "hpke-oracle" })).PublicKey;
        var (envelope, _) = Seal(v1, "x");
        envelope.Enc = ByteString.CopyFrom(new byte[32]);
        Signed(envelope);

        var keys = await Stack.Public(Runner).DecapsulateAsync(new DecapsulateRequest { Envelope = envelope, ClientIdentity = CheckedKeyServiceStack.HpkeIdentity });

        Assert.Equal(32, keys.AeadKey.Length);
        Assert.Equal(12, keys.BaseNonce.Length);
        using var opener = new HpkeOpener(keys.AeadKey.Span, keys.BaseNonce.Span);
        Assert.False(opener.TryOpen(envelope.Header.Span, envelope.Ct.Span, out _));
    }

    [Fact]
    public async Task Bad_envelopes_get_clear_statuses_before_any_key_is_used()
    {
        var client = Stack.Public(Runner);
        await Stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = "hpke-bad", Kind = KeyKind.X25519 });
        var v1 = (await client.GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = "hpke-bad" })).PublicKey;
        var (good, _) = Seal(v1, "x");

        var noEnvelope = await Assert.ThrowsAsync<RpcException>(async () => await client.DecapsulateAsync(new DecapsulateRequest()));
        var badHeader = await Assert.ThrowsAsync<RpcException>(async () => await client.DecapsulateAsync(new DecapsulateRequest { Envelope = new Envelope(good) { Header = ByteString.CopyFrom(0xFF, 0xFF) } }));
        var shortEnc = await Assert.ThrowsAsync<RpcException>(async () => await client.DecapsulateAsync(new DecapsulateRequest { Envelope = new Envelope(good) { Enc = ByteString.CopyFrom(new byte[31]) } }));
        var unknownKid = Seal(v1, "x", h => h.RecipientKid = "no-such-kid").Envelope;
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await client.DecapsulateAsync(new DecapsulateRequest { Envelope = unknownKid, ClientIdentity = CheckedKeyServiceStack.HpkeIdentity }));

        Assert.Equal(StatusCode.InvalidArgument, noEnvelope.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badHeader.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, shortEnc.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Unknown_key_names_are_not_found_and_malformed_names_invalid()
    {
        var client = Stack.Public(Runner);

        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = "nope" }));
        var malformed = await Assert.ThrowsAsync<RpcException>(async () => await client.GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = "../etc" }));

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused()
    {
        var oversized = new DecapsulateRequest { Envelope = new Envelope { Header = ByteString.CopyFrom(new byte[5 * 1024 * 1024]) } };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Stack.Public(Runner).DecapsulateAsync(oversized));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    private (byte[] SealedKey, byte[] WrappedDek) ReadMaterial(string key, int version)
    {
        using var connection = new SqliteConnection($"Data Source={Stack.StorePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT sealed_key, wrapped_dek FROM key_material WHERE key_name = $k AND version = $v";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", version);
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read());
        return ((byte[])reader[0], (byte[])reader[1]);
    }
}
