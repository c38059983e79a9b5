using System.Security.Cryptography;
using System.Text;
using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Crypto.Sqooler;
using Strongroom.Kms.Domain;
using Strongroom.Operator;
using Strongroom.Requests;
using Strongroom.Runner.V1;

namespace Strongroom.Fuzz;

/// <summary>
/// Every fuzz target, by name. Each feeds the input to the parsers of one untrusted input kind and
/// accepts only the failures those parsers document; everything else (NullReference,
/// IndexOutOfRange, Overflow, InvalidOperation, InvalidCast, ...) escapes as a crash.
/// </summary>
public static class Targets
{
    private static readonly Lazy<IReadOnlyList<FuzzTarget>> AllLazy = new(() =>
    [
        StudioMl(), Envelope(), Result(), JwsTarget(), Jwk(), Sqooler(), Pem(), OpenSshPrivateKey(), AuthorizedKeys(), Kms(),
    ]);

    public static IReadOnlyList<FuzzTarget> All => AllLazy.Value;

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));

    /// <summary>Strongroom.Crypto's one failure type (any kind: Malformed, Unsupported, InvalidArgument, ...).</summary>
    private static bool IsCrypto(Exception e) => e is CryptoException;

    /// <summary>A service's request validation: StrongroomException with INVALID_ARGUMENT only.</summary>
    private static bool IsInvalidArgument(Exception e) => e is StrongroomException { Kind: ErrorKind.InvalidArgument };

    /// <summary>Google.Protobuf's documented failure for bytes or JSON that are not the message (InvalidJsonException derives from IOException).</summary>
    private static bool IsProtobuf(Exception e) => e is InvalidProtocolBufferException or InvalidJsonException;

    private static string Latin1(byte[] input) => Encoding.Latin1.GetString(input);

    private static string Utf8(byte[] input) => Encoding.UTF8.GetString(input);

    /// <summary>StudioML: the runner's message parser, then the payload's shape and its Ed25519 signature.</summary>
    private static FuzzTarget StudioMl() => new(
        "studioml",
        "services/runner RequestIntake.ParseStudioMl, StudioMlPayload.TryParse/Parse, StudioMlPayload.VerifyPayloadSignature, OpenSsh.TryParseSignature",
        "StrongroomException(InvalidArgument), CryptoException",
        e => IsInvalidArgument(e) || IsCrypto(e),
        (t, input) =>
        {
            var message = t.Parse(() => Internals.ParseStudioMl(input));
            string payload = message.Item1 ?? Utf8(input);
            t.Parse(() => StudioMlPayload.Parse(payload));
            if (StudioMlPayload.TryParse(payload, out StudioMlPayloadParts? parts) == StudioMlPayloadError.None)
            {
                _ = parts!.Box.Length + parts.WrappedKey.Length;
            }

            if (message.Item3 is not null)
            {
                _ = StudioMlPayload.VerifyPayloadSignature(Fixtures.StudioMlClientKey, message.Item1!, message.Item3);
            }

            _ = OpenSsh.TryParseSignature(input, out _);
        });

    /// <summary>Strongroom (HPKE) envelope: the proto, the strict header, the client signature and HPKE open.</summary>
    private static FuzzTarget Envelope() => new(
        "envelope",
        "Envelope proto, EnvelopeHeader.Parse (strict canonical Header), StrongroomEnvelope.Verify, Hpke.Open",
        "InvalidProtocolBufferException, StrongroomException(InvalidArgument), CryptoException",
        e => IsProtobuf(e) || IsInvalidArgument(e) || IsCrypto(e),
        (t, input) =>
        {
            t.Parse(() => EnvelopeHeader.Parse(ByteString.CopyFrom(input)));
            var envelope = t.Parse(() => Strongroom.Runner.V1.Envelope.Parser.ParseFrom(input));
            if (envelope is null)
            {
                return;
            }

            t.Parse(() => EnvelopeHeader.Parse(envelope.Header));
            t.Parse(() => StrongroomEnvelope.Verify(Fixtures.EnvelopeSigningKey.PublicKey, envelope.Header.Span, envelope.Enc.Span, envelope.Ct.Span, envelope.Signature.Span));
            t.Parse(() => Hpke.Open(Fixtures.EnvelopeRecipient, envelope.Enc.Span, Hpke.RequestInfo, envelope.Header.Span, envelope.Ct.Span));
        });

    /// <summary>The signed result document (JSON).</summary>
    private static FuzzTarget Result() => new(
        "result",
        "ResultDocument.Parse (strict version-1 result document)",
        "FormatException",
        e => e is FormatException,
        (t, input) => t.Parse(() => ResultDocument.Parse(input)));

    /// <summary>JWS, compact and flattened, against RFC 8037's key; verification reports, never throws.</summary>
    private static FuzzTarget JwsTarget() => new(
        "jws",
        "Jws.VerifyCompact, Jws.VerifyFlattened (with and without a detached payload)",
        "none: verification failures are results, not exceptions",
        _ => false,
        (t, input) =>
        {
            string text = Utf8(input);
            _ = Jws.VerifyCompact(text, Fixtures.Rfc8037Key).Status;
            _ = Jws.VerifyFlattened(text, Fixtures.Rfc8037Key).Status;
            _ = Jws.VerifyCompact(text, _ => null, detachedPayload: "Example of Ed25519 signing"u8.ToArray(), understoodCriticalMembers: ["exp"]).Status;
            _ = Jws.VerifyFlattened(text, kid => kid is null ? null : Fixtures.Rfc8037Key, detachedPayload: [], understoodCriticalMembers: ["b64"]).Status;
        });

    /// <summary>JWK in both modes; a parsed key is turned into its typed key and re-serialized.</summary>
    private static FuzzTarget Jwk() => new(
        "jwk",
        "JsonWebKey.Parse (Strict and SqoolerCompat), Thumbprint, ToJson, To*Key",
        "CryptoException",
        IsCrypto,
        (t, input) =>
        {
            foreach (var mode in new[] { JwkParseMode.Strict, JwkParseMode.SqoolerCompat })
            {
                using JsonWebKey? key = t.Parse(() => JsonWebKey.Parse(input.AsMemory(), mode));
                if (key is not null)
                {
                    Exercise(t, key);
                }
            }
        });

    /// <summary>sqooler key strings and signed results.</summary>
    private static FuzzTarget Sqooler() => new(
        "sqooler",
        "JsonWebKey.ParseSqoolerPrivateKeyString, SqoolerSignedResult.Verify (against sqooler_public_jwk.json)",
        "CryptoException (key string); none for Verify (a result)",
        IsCrypto,
        (t, input) =>
        {
            using JsonWebKey? key = t.Parse(() => JsonWebKey.ParseSqoolerPrivateKeyString(Latin1(input)));
            if (key is not null)
            {
                Exercise(t, key);
            }

            _ = SqoolerSignedResult.Verify(input.AsMemory(), Fixtures.SqoolerPublicJwk).Status;
        });

    /// <summary>The operator's legacy PEM import (BouncyCastle), with the fixture's passphrase and a wrong one.</summary>
    private static FuzzTarget Pem() => new(
        "pem",
        "tools/Strongroom.Cli LegacyPem.ReadRsaPrivateKeyPkcs8 (PKCS#1 with Proc-Type: 4,ENCRYPTED, via BouncyCastle)",
        "CryptographicException (its documented refusal)",
        e => e is CryptographicException,
        (t, input) =>
        {
            string text = Latin1(input);
            byte[]? der = t.Parse(() => LegacyPem.ReadRsaPrivateKeyPkcs8(text, Fixtures.PemPassphrase));
            if (der is not null)
            {
                CryptographicOperations.ZeroMemory(der);
            }

            t.Parse(() => LegacyPem.ReadRsaPrivateKeyPkcs8(text, "not the passphrase".ToCharArray()));
        });

    /// <summary>OpenSSH private keys (openssh-key-v1).</summary>
    private static FuzzTarget OpenSshPrivateKey() => new(
        "openssh-key",
        "OpenSsh.ParsePrivateKey (unencrypted openssh-key-v1, ssh-ed25519)",
        "CryptoException",
        IsCrypto,
        (t, input) =>
        {
            using Ed25519KeyPair? key = t.Parse(() => OpenSsh.ParsePrivateKey(Latin1(input)));
            _ = key?.PublicKey;
        });

    /// <summary>authorized_keys lines and raw SSH key blobs.</summary>
    private static FuzzTarget AuthorizedKeys() => new(
        "authorized-keys",
        "OpenSsh.ParseAuthorizedKey, OpenSsh.ParsePublicKeyBlob, OpenSsh.TryParseSignature",
        "CryptoException",
        IsCrypto,
        (t, input) =>
        {
            var parsed = t.Parse(() => OpenSsh.ParseAuthorizedKey(Latin1(input)));
            if (parsed is not null)
            {
                _ = OpenSsh.Fingerprint(parsed.Key);
            }

            t.Parse(() => OpenSsh.ParsePublicKeyBlob(input));
            _ = OpenSsh.TryParseSignature(input, out _);
        });

    /// <summary>
    /// Cloud KMS v1 Encrypt/Decrypt requests (binary proto, or proto3 JSON when the input starts with
    /// '{'), through the kms service's pure validation in KeyEncryption's order: resource name, size
    /// limits, CRC32C checks, then the ciphertext's version and AEAD open under a fixed KEK.
    /// </summary>
    private static FuzzTarget Kms() => new(
        "kms",
        "services/kms ResourceNames.Parse*, KeyEncryption.CheckEncryptRequest/CheckDecryptRequest (sizes, CRC32C), KekCiphertext.TryReadVersion/TryOpen; requests as binary proto or JSON",
        "InvalidProtocolBufferException/InvalidJsonException (request decoding), StrongroomException(InvalidArgument)",
        e => IsProtobuf(e) || IsInvalidArgument(e),
        (t, input) =>
        {
            bool json = input.Length > 0 && input[0] == (byte)'{';
            var encrypt = t.Parse(() => json ? JsonParser.Default.Parse<EncryptRequest>(Utf8(input)) : FromWire(EncryptRequest.Parser, input));
            if (encrypt is not null)
            {
                t.Parse(() => ValidateEncrypt(encrypt));
            }

            var decrypt = t.Parse(() => json ? JsonParser.Default.Parse<DecryptRequest>(Utf8(input)) : FromWire(DecryptRequest.Parser, input));
            if (decrypt is not null)
            {
                t.Parse(() => ValidateDecrypt(decrypt));
            }

            // Resource names on their own, every kind.
            string name = Utf8(input);
            t.Parse(() => ResourceNames.ParseLocation("parent", name));
            t.Parse(() => ResourceNames.ParseKeyRing("parent", name));
            t.Parse(() => ResourceNames.ParseCryptoKey("name", name));
            t.Parse(() => ResourceNames.ParseCryptoKeyVersion("name", name));
            t.Parse(() => ResourceNames.ParseCryptoKeyOrVersion("name", name));
        });

    /// <summary>KeyEncryption.Encrypt's checks before any key lookup, in its order (the service's own code).</summary>
    private static void ValidateEncrypt(EncryptRequest request)
    {
        _ = ResourceNames.ParseCryptoKeyOrVersion("name", request.Name);
        KeyEncryption.CheckEncryptRequest(request.Plaintext.Span, request.AdditionalAuthenticatedData.Span, request.PlaintextCrc32C, request.AdditionalAuthenticatedDataCrc32C);
    }

    /// <summary>KeyEncryption.Decrypt's checks (the service's own code), then the ciphertext as the store's key would read it.</summary>
    private static void ValidateDecrypt(DecryptRequest request)
    {
        var key = ResourceNames.ParseCryptoKey("name", request.Name);
        KeyEncryption.CheckDecryptRequest(request.Ciphertext.Span, request.AdditionalAuthenticatedData.Span, request.CiphertextCrc32C, request.AdditionalAuthenticatedDataCrc32C);
        if (Internals.TryReadVersion(request.Ciphertext.Span, out int version) && version >= 1)
        {
            byte[]? plaintext = Internals.TryOpen(Fixtures.Kek, key.ToString(), request.Ciphertext.Span, request.AdditionalAuthenticatedData.Span);
            if (plaintext is not null)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }

    private static void Exercise(FuzzTarget t, JsonWebKey key)
    {
        _ = key.Thumbprint();
        _ = key.ToJson();
        _ = key.ToString();
        switch (key.KeyType)
        {
            case JwkKeyType.Ed25519:
                _ = key.ToEd25519PublicKey();
                if (key.HasPrivateKey)
                {
                    t.Parse(() => key.ToEd25519KeyPair().Dispose());
                }

                break;
            case JwkKeyType.X25519:
                _ = key.ToX25519PublicKey();
                if (key.HasPrivateKey)
                {
                    t.Parse(() => key.ToX25519KeyPair().Dispose());
                }

                break;
            default:
                t.Parse(() => key.ToRsaPublicKey().Dispose());
                break;
        }
    }

    /// <summary>
    /// A request off the wire as gRPC's deserializer reads it. Google.Protobuf 3.36.2 (third party)
    /// throws InvalidOperationException ("SkipLastField cannot be called at the end of a stream") for
    /// a truncated wrapper field instead of InvalidProtocolBufferException; in the kms service that
    /// exception stays inside gRPC's request deserialization, which answers the call with an error
    /// status and keeps serving — a rejection, not a crash of ours (fuzz/regressions/kms replays it).
    /// </summary>
    private static T FromWire<T>(Google.Protobuf.MessageParser<T> parser, byte[] input)
        where T : Google.Protobuf.IMessage<T>
    {
        try
        {
            return parser.ParseFrom(input);
        }
        catch (InvalidOperationException ex) when (ex.StackTrace?.Contains("Google.Protobuf", StringComparison.Ordinal) == true)
        {
            throw Strongroom.Core.StrongroomException.InvalidArgument("request", "truncated field (Google.Protobuf reports it as InvalidOperationException)");
        }
    }
}
