using System.Text;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.KeyPublishing;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Signer.Domain;

/// <summary>What a key signs. A key never changes purpose: the log key is named in configuration.</summary>
public enum SigningPurpose
{
    /// <summary>JWS over results (runner) and configuration documents (operators).</summary>
    Jws,

    /// <summary>C2SP signed-note checkpoints of the key log; never a JWS.</summary>
    LogCheckpoint,
}

/// <summary>One version's public half as verifiers see it.</summary>
public sealed record PublicVersion(ManagedKey Key, KeyVersion Version, SigningPurpose Purpose, string Kid, string JwkJson);

/// <summary>
/// The signer's keys over <see cref="KeyCustodian"/>: every key is Ed25519; the key named
/// <see cref="SignerOptions.LogKeyName"/> is the log key and every other key is a JWS key.
/// </summary>
public sealed class SigningKeySet(KeyCustodian custodian, SignerOptions options)
{
    public KeyCustodian Custodian => custodian;

    public SigningPurpose PurposeOf(string keyName) =>
        keyName == options.LogKeyName ? SigningPurpose.LogCheckpoint : SigningPurpose.Jws;

    /// <summary>What the key log is told about a signer version: the log key is LOG_SIGNING, every other key RESULT_SIGNING.</summary>
    public static KeyDescriber Describe(SignerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (key, version) =>
        {
            var kid = KidOf(version.PublicKey);
            return new PublishedKey(
                kid,
                JwkJsonOf(version.PublicKey, kid),
                key.Name == options.LogKeyName ? StorageApi.KeyKind.LogSigning : StorageApi.KeyKind.ResultSigning);
        };
    }

    /// <summary>RFC 7638 thumbprint of the Ed25519 public key.</summary>
    public static string KidOf(byte[] publicKey)
    {
        using var jwk = JsonWebKey.FromPublicKey(Ed25519PublicKey.Import(publicKey));
        return jwk.Thumbprint();
    }

    /// <summary>RFC 8037 OKP JWK with kid, alg EdDSA and use sig: what a stock JOSE library consumes.</summary>
    public static string JwkJsonOf(byte[] publicKey, string kid)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kty", "OKP");
            writer.WriteString("crv", "Ed25519");
            writer.WriteString("x", StrictBase64.EncodeUrl(publicKey));
            writer.WriteString("kid", kid);
            writer.WriteString("alg", Jws.Algorithm);
            writer.WriteString("use", "sig");
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Creates the default JWS key and the log key when missing (idempotent; safe on every start).</summary>
    public async Task EnsureKeysAsync(CancellationToken cancellationToken)
    {
        foreach (var name in new[] { options.DefaultKeyName, options.LogKeyName })
        {
            try
            {
                await custodian.GetKeyAsync(name, cancellationToken);
            }
            catch (StrongroomException ex) when (ex.Kind == ErrorKind.NotFound)
            {
                try
                {
                    await custodian.CreateKeyAsync(name, Ed25519Kind.KindName, null, null, cancellationToken);
                }
                catch (StrongroomException again) when (again.Kind == ErrorKind.AlreadyExists)
                {
                    // Another replica or call created it first.
                }
            }
        }
    }

    /// <summary>Every version of every key of <paramref name="purpose"/> (all states, revoked included).</summary>
    public async Task<IReadOnlyList<PublicVersion>> ListAsync(SigningPurpose purpose, CancellationToken cancellationToken)
    {
        var result = new List<PublicVersion>();
        foreach (var key in await custodian.ListKeysAsync(cancellationToken))
        {
            if (PurposeOf(key.Name) != purpose)
            {
                continue;
            }

            foreach (var v in await custodian.ListVersionsAsync(key.Name, cancellationToken))
            {
                result.Add(Describe(key, v));
            }
        }

        return result;
    }

    public PublicVersion Describe(ManagedKey key, KeyVersion version)
    {
        var kid = KidOf(version.PublicKey);
        return new PublicVersion(key, version, PurposeOf(key.Name), kid, JwkJsonOf(version.PublicKey, kid));
    }

    /// <summary>The JWK Set of every JWS version that is not revoked (destroyed ones too: their earlier signatures stay valid).</summary>
    public static string JwksJson(IEnumerable<PublicVersion> versions)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var v in versions)
            {
                writer.WriteRawValue(v.JwkJson);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
