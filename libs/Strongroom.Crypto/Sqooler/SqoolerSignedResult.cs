using System.Text;
using System.Text.Json;

namespace Strongroom.Crypto.Sqooler;

/// <summary>The outcome of verifying a sqooler signed-result dict.</summary>
public enum SqoolerVerificationStatus
{
    /// <summary>The signature verifies with the key.</summary>
    Valid = 1,

    /// <summary>Well formed, but the signature does not verify with the key.</summary>
    InvalidSignature,

    /// <summary>The header names an algorithm other than EdDSA.</summary>
    HeaderRejected,

    /// <summary>The key is not an Ed25519 key meant for verification.</summary>
    KeyRejected,

    /// <summary>Not a sqooler signed result: JSON, members, types, base64url, lengths, values Python could not have signed.</summary>
    Malformed,
}

/// <summary>
/// The answer of <see cref="SqoolerSignedResult.Verify(string, JsonWebKey)"/>: a failed check is an
/// answer, never an exception. <see cref="Payload"/> is released only when <see cref="IsValid"/>.
/// </summary>
public sealed class SqoolerVerificationResult
{
    private SqoolerVerificationResult(SqoolerVerificationStatus status, string reason, string? kid, JsonElement? payload)
    {
        Status = status;
        Reason = reason;
        Kid = kid;
        Payload = payload;
    }

    public SqoolerVerificationStatus Status { get; }

    public bool IsValid => Status == SqoolerVerificationStatus.Valid;

    /// <summary>Fixed text saying which rule decided (never contains key material or payload).</summary>
    public string Reason { get; }

    /// <summary>The header's kid (sqooler's foreign key name) when the header parsed; trust it only when valid.</summary>
    public string? Kid { get; }

    /// <summary>The payload dict (a detached clone), only for a valid signature.</summary>
    public JsonElement? Payload { get; }

    internal static SqoolerVerificationResult Valid(string kid, JsonElement payload) =>
        new(SqoolerVerificationStatus.Valid, "valid", kid, payload.Clone());

    internal static SqoolerVerificationResult Failed(SqoolerVerificationStatus status, string reason, string? kid = null) =>
        new(status, reason, kid, null);
}

/// <summary>
/// sqooler's signed results (its <c>security.JWSDict</c>):
/// <c>{"header": {"alg", "kid", "typ", "version"}, "payload": {...}, "signature": "..."}</c>, where the
/// signature is Ed25519 over
/// <c>b64url_padded(header.model_dump_json()) + "." + b64url_padded(json.dumps(payload))</c>.
/// The header is re-serialized as pydantic writes the <c>JWSHeader</c> model: compact, members in
/// model order (alg, kid, typ, version) whatever the document's order, non-ASCII as raw UTF-8
/// (<see cref="PythonJson"/> has the string rules). The payload is re-serialized by
/// <see cref="PythonJson.Dumps"/>. Stricter than sqooler where sqooler's leniency would leave
/// signed-looking data unsigned or ambiguous: the document must have exactly those three members,
/// the header exactly those four string members (pydantic would ignore extras and default missing
/// ones), <c>alg</c> must be <c>EdDSA</c>, the signature must be canonical padded base64url of 64
/// bytes, and no object may name a member twice.
/// </summary>
/// <remarks>
/// sqooler signs backend configurations with the same header as results (<c>typ: JWS</c>), so a
/// valid signature alone does not say the payload is a result: callers check the payload (job id,
/// display name) against what they asked for, and choose the key (by the sqooler kid bound as an
/// alias) themselves — the header's kid is reported, not trusted.
/// </remarks>
public static class SqoolerSignedResult
{
    public const string Algorithm = "EdDSA";
    public const string DefaultType = "JWS";
    public const string DefaultVersion = "0.1";

    private const int SignatureTextLength = 88;

    private static readonly string[] HeaderMembers = ["alg", "kid", "typ", "version"];

    /// <summary>Verifies a signed-result document with an Ed25519 public key (any kid).</summary>
    public static SqoolerVerificationResult Verify(string signedResultJson, JsonWebKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(signedResultJson);
        ArgumentNullException.ThrowIfNull(publicKey);
        byte[]? utf8 = PythonJson.TryStrictUtf8(signedResultJson);
        return utf8 is null
            ? SqoolerVerificationResult.Failed(SqoolerVerificationStatus.Malformed, "document is not well-formed UTF-16")
            : Verify(utf8, publicKey);
    }

    /// <summary>
    /// Verifies with the public JWK as sqooler uploads it (padded <c>x</c>, <c>"d": null</c>,
    /// <c>"key_ops": "verify"</c>), read in <see cref="JwkParseMode.SqoolerCompat"/>. As in sqooler, a
    /// key whose <c>key_ops</c> does not allow <c>verify</c> is refused.
    /// </summary>
    public static SqoolerVerificationResult Verify(string signedResultJson, string publicJwkJson)
    {
        ArgumentNullException.ThrowIfNull(signedResultJson);
        ArgumentNullException.ThrowIfNull(publicJwkJson);
        JsonWebKey key;
        try
        {
            key = JsonWebKey.Parse(publicJwkJson, JwkParseMode.SqoolerCompat);
        }
        catch (CryptoException)
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.KeyRejected, "public JWK does not parse");
        }

        using (key)
        {
            if (!KeyOpsAllowVerify(publicJwkJson))
            {
                return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.KeyRejected, "JWK key_ops does not allow verify");
            }

            return Verify(signedResultJson, key);
        }
    }

    /// <summary>Verifies a UTF-8 signed-result document with an Ed25519 public key (any kid).</summary>
    public static SqoolerVerificationResult Verify(ReadOnlyMemory<byte> signedResultUtf8, JsonWebKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (publicKey.KeyType != JwkKeyType.Ed25519)
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.KeyRejected, "key is not Ed25519");
        }

        using JsonDocument? document = PythonJson.ParseDocument(signedResultUtf8);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.Malformed, "not a strict JSON object");
        }

        JsonElement root = document.RootElement;
        if (CountMembers(root) != 3
            || !root.TryGetProperty("header", out JsonElement header) || header.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("payload", out JsonElement payload) || payload.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("signature", out JsonElement signatureElement) || signatureElement.ValueKind != JsonValueKind.String)
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.Malformed, "members are not exactly header (object), payload (object), signature (string)");
        }

        if (!TryReadHeader(header, out string[]? values))
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.Malformed, "header is not exactly alg, kid, typ, version as strings");
        }

        string kid = values[1];
        if (values[0] != Algorithm)
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.HeaderRejected, "header alg is not EdDSA", kid);
        }

        string signatureText;
        try
        {
            signatureText = signatureElement.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // An escape that is not a character (a lone surrogate) cannot be base64url.
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.Malformed, "signature is not padded base64url of 64 bytes", kid);
        }

        if (signatureText.Length != SignatureTextLength
            || !StrictBase64.TryDecodeUrlOptionalPadding(signatureText, out byte[]? signature)
            || signature.Length != Ed25519PublicKey.SignatureSize)
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.Malformed, "signature is not padded base64url of 64 bytes", kid);
        }

        byte[]? signingInput = TrySigningInput(values, payload);
        if (signingInput is null)
        {
            return SqoolerVerificationResult.Failed(SqoolerVerificationStatus.Malformed, "header or payload has values Python could not have signed", kid);
        }

        return publicKey.ToEd25519PublicKey().Verify(signingInput, signature)
            ? SqoolerVerificationResult.Valid(kid, payload)
            : SqoolerVerificationResult.Failed(SqoolerVerificationStatus.InvalidSignature, "signature does not verify", kid);
    }

    /// <summary>
    /// Signs a payload dict the way sqooler's <c>sign_payload</c> does (header
    /// <c>{alg: EdDSA, kid, typ: JWS, version: 0.1}</c>) and returns the signed-result dict as
    /// <c>json.dumps</c> would write it. Ed25519 is deterministic: the signature equals sqooler's.
    /// </summary>
    public static string Sign(JsonElement payload, Ed25519KeyPair key, string kid)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(kid);
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw CryptoError.InvalidArgument("sqooler signs a payload dict (a JSON object).");
        }

        string[] values = [Algorithm, kid, DefaultType, DefaultVersion];
        byte[] signingInput = TrySigningInput(values, payload) ?? throw CryptoError.Malformed("sqooler kid (not well-formed UTF-16)");
        byte[] signature = key.Sign(signingInput);

        var builder = new StringBuilder("{\"header\": {");
        for (int i = 0; i < HeaderMembers.Length; i++)
        {
            builder.Append(i == 0 ? "\"" : ", \"").Append(HeaderMembers[i]).Append("\": ");
            PythonJson.WriteAsciiString(builder, values[i]);
        }

        builder.Append("}, \"payload\": ").Append(PythonJson.Dumps(payload))
            .Append(", \"signature\": \"").Append(PaddedBase64Url(signature)).Append("\"}");
        return builder.ToString();
    }

    /// <summary>
    /// The bytes sqooler signs: <c>b64url_padded(header JSON) + "." + b64url_padded(json.dumps(payload))</c>;
    /// null when a header value is not well-formed UTF-16 or the payload cannot be re-serialized.
    /// </summary>
    internal static byte[]? TrySigningInput(string[] headerValues, JsonElement payload)
    {
        byte[]? headerJson = PythonJson.TryStrictUtf8(HeaderJson(headerValues));
        if (headerJson is null)
        {
            return null;
        }

        byte[] payloadJson;
        try
        {
            payloadJson = PythonJson.DumpsUtf8(payload);
        }
        catch (CryptoException)
        {
            return null;
        }

        return Encoding.ASCII.GetBytes(PaddedBase64Url(headerJson) + "." + PaddedBase64Url(payloadJson));
    }

    /// <summary>pydantic's <c>JWSHeader.model_dump_json()</c>: compact, model order, raw UTF-8.</summary>
    internal static string HeaderJson(string[] headerValues)
    {
        var builder = new StringBuilder("{");
        for (int i = 0; i < HeaderMembers.Length; i++)
        {
            builder.Append(i == 0 ? "\"" : ",\"").Append(HeaderMembers[i]).Append("\":");
            PythonJson.WriteUnicodeString(builder, headerValues[i]);
        }

        return builder.Append('}').ToString();
    }

    /// <summary>Python's <c>base64.urlsafe_b64encode</c>: base64url with <c>=</c> padding.</summary>
    internal static string PaddedBase64Url(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).Replace('+', '-').Replace('/', '_');

    private static bool TryReadHeader(JsonElement header, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string[]? values)
    {
        values = null;
        if (CountMembers(header) != HeaderMembers.Length)
        {
            return false;
        }

        var read = new string[HeaderMembers.Length];
        for (int i = 0; i < HeaderMembers.Length; i++)
        {
            if (!header.TryGetProperty(HeaderMembers[i], out JsonElement value) || value.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            try
            {
                read[i] = value.GetString()!;
            }
            catch (InvalidOperationException)
            {
                // An escaped lone surrogate: pydantic cannot serialize it, so sqooler never signed it.
                return false;
            }
        }

        values = read;
        return true;
    }

    private static int CountMembers(JsonElement element) => element.GetPropertyCount();

    private static bool KeyOpsAllowVerify(string publicJwkJson)
    {
        using JsonDocument document = JsonDocument.Parse(publicJwkJson);
        if (!document.RootElement.TryGetProperty("key_ops", out JsonElement ops))
        {
            return true;
        }

        return ops.ValueKind switch
        {
            JsonValueKind.String => ops.ValueEquals("verify"),
            JsonValueKind.Array => ops.EnumerateArray().Any(op => op.ValueEquals("verify")),
            _ => false,
        };
    }
}
