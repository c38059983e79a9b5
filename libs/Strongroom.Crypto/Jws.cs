using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strongroom.Crypto;

/// <summary>The outcome of a JWS verification.</summary>
public enum JwsVerificationStatus
{
    /// <summary>The signature is valid under the policy.</summary>
    Valid = 1,

    /// <summary>Well formed and acceptable, but the signature does not verify with the key.</summary>
    InvalidSignature,

    /// <summary>The protected header breaks the policy (alg, key-carrying members, crit, b64, unprotected header).</summary>
    HeaderRejected,

    /// <summary>No key was found for the header's kid.</summary>
    UnknownKey,

    /// <summary>Not a JWS: segment count, base64url, JSON, lengths.</summary>
    Malformed,
}

/// <summary>
/// The answer of <see cref="Jws"/> verification: a failed check is an answer, never an exception.
/// <see cref="Payload"/> is released only when <see cref="IsValid"/>; the header is given whenever it
/// parsed, for diagnostics and kid look-up, and must not be trusted unless valid.
/// </summary>
public sealed class JwsVerificationResult
{
    private JwsVerificationResult(JwsVerificationStatus status, string reason, JsonElement? header, byte[]? payload)
    {
        Status = status;
        Reason = reason;
        ProtectedHeader = header;
        Payload = payload;
    }

    public JwsVerificationStatus Status { get; }

    public bool IsValid => Status == JwsVerificationStatus.Valid;

    /// <summary>Fixed text saying which rule decided (never contains key material).</summary>
    public string Reason { get; }

    /// <summary>The parsed protected header (a detached clone), or null when it did not parse.</summary>
    public JsonElement? ProtectedHeader { get; }

    /// <summary>The header's kid, if it parsed and has one.</summary>
    public string? Kid =>
        ProtectedHeader is { } header && header.TryGetProperty("kid", out JsonElement kid) && kid.ValueKind == JsonValueKind.String ? kid.GetString() : null;

    /// <summary>The payload bytes, only for a valid signature.</summary>
    public byte[]? Payload { get; }

    internal static JwsVerificationResult Valid(JsonElement header, byte[] payload) =>
        new(JwsVerificationStatus.Valid, "valid", header, payload);

    internal static JwsVerificationResult Failed(JwsVerificationStatus status, string reason, JsonElement? header = null) =>
        new(status, reason, header, null);
}

/// <summary>
/// JWS (RFC 7515) with EdDSA/Ed25519 (RFC 8037) only, compact and flattened JSON serializations.
/// Signing always writes <c>alg: EdDSA</c> and the key's <c>kid</c>; detached payloads leave the
/// payload segment empty (RFC 7515 appendix F), never <c>b64: false</c>. Verification pins the
/// algorithm, refuses header members that carry or point at keys, refuses <c>crit</c> naming
/// anything not understood (nothing by default, and never <c>b64</c>), refuses duplicate members and
/// non-canonical base64url.
/// </summary>
public static class Jws
{
    public const string Algorithm = "EdDSA";

    /// <summary>Longest protected-header segment verified (characters of base64url); this profile's headers are well under 1 KiB.</summary>
    public const int MaxProtectedHeaderLength = 8 * 1024;

    /// <summary>64 bytes of unpadded base64url.</summary>
    private const int EncodedSignatureLength = 86;

    private static readonly HashSet<string> ReservedForSigner = new(StringComparer.Ordinal) { "alg", "kid" };

    /// <summary>Members that make a verifier fetch or trust a key named by the token itself.</summary>
    private static readonly HashSet<string> KeyCarryingMembers = new(StringComparer.Ordinal) { "jwk", "jku", "x5u", "x5c" };

    /// <summary>Members this profile never writes, so a caller cannot ask for them either.</summary>
    private static readonly HashSet<string> ForbiddenForSigner = new(StringComparer.Ordinal) { "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64" };

    /// <summary>
    /// Signs <paramref name="payload"/>; the protected header is <c>{"alg":"EdDSA","kid":kid, ...members}</c>
    /// in that order. Returns the compact serialization (payload segment empty when detached).
    /// </summary>
    public static string SignCompact(Ed25519KeyPair key, string kid, ReadOnlySpan<byte> payload, IEnumerable<KeyValuePair<string, JsonNode?>>? headerMembers = null, bool detachedPayload = false) =>
        SignCompact(key, CreateProtectedHeader(kid, headerMembers), payload, detachedPayload);

    /// <summary>Signs and returns the flattened JSON serialization (no unprotected header; payload omitted when detached).</summary>
    public static string SignFlattened(Ed25519KeyPair key, string kid, ReadOnlySpan<byte> payload, IEnumerable<KeyValuePair<string, JsonNode?>>? headerMembers = null, bool detachedPayload = false) =>
        SignFlattened(key, CreateProtectedHeader(kid, headerMembers), payload, detachedPayload);

    /// <summary>Signs <paramref name="payload"/> under a header made by <see cref="CreateProtectedHeader"/>; flattened JSON serialization.</summary>
    public static string SignFlattened(Ed25519KeyPair key, JwsProtectedHeader header, ReadOnlySpan<byte> payload, bool detachedPayload = false)
    {
        ArgumentNullException.ThrowIfNull(header);
        (string payloadSegment, string signature) = SignUnder(key, header.Segment, payload);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("protected", header.Segment);
            if (!detachedPayload)
            {
                writer.WriteString("payload", payloadSegment);
            }

            writer.WriteString("signature", signature);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Verifies a compact JWS with one key.</summary>
    public static JwsVerificationResult VerifyCompact(string jws, Ed25519PublicKey key, byte[]? detachedPayload = null, IReadOnlyCollection<string>? understoodCriticalMembers = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return VerifyCompact(jws, _ => key, detachedPayload, understoodCriticalMembers);
    }

    /// <summary>Verifies a compact JWS, finding the key by the header's kid (null when there is none).</summary>
    public static JwsVerificationResult VerifyCompact(string jws, Func<string?, Ed25519PublicKey?> keyByKid, byte[]? detachedPayload = null, IReadOnlyCollection<string>? understoodCriticalMembers = null)
    {
        ArgumentNullException.ThrowIfNull(keyByKid);
        if (jws is null)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "no JWS");
        }

        // Split by position rather than String.Split, so an oversized segment is refused by its length before it is copied.
        int first = jws.IndexOf('.', StringComparison.Ordinal);
        int second = first < 0 ? -1 : jws.IndexOf('.', first + 1);
        if (second < 0 || jws.IndexOf('.', second + 1) >= 0)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "a compact JWS has three segments");
        }

        if (first > MaxProtectedHeaderLength)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "header is larger than " + MaxProtectedHeaderLength + " characters");
        }

        if (jws.Length - second - 1 != EncodedSignatureLength)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "signature is not 64 bytes of canonical base64url");
        }

        return VerifySegments(jws[..first], jws[(first + 1)..second], jws[(second + 1)..], keyByKid, detachedPayload, understoodCriticalMembers);
    }

    /// <summary>Verifies a flattened JSON JWS with one key.</summary>
    public static JwsVerificationResult VerifyFlattened(string json, Ed25519PublicKey key, byte[]? detachedPayload = null, IReadOnlyCollection<string>? understoodCriticalMembers = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return VerifyFlattened(json, _ => key, detachedPayload, understoodCriticalMembers);
    }

    /// <summary>Verifies a flattened JSON JWS, finding the key by kid.</summary>
    public static JwsVerificationResult VerifyFlattened(string json, Func<string?, Ed25519PublicKey?> keyByKid, byte[]? detachedPayload = null, IReadOnlyCollection<string>? understoodCriticalMembers = null)
    {
        ArgumentNullException.ThrowIfNull(keyByKid);
        if (json is null)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "no JWS");
        }

        using JsonDocument? document = StrictJson.TryParseObject(Encoding.UTF8.GetBytes(json));
        if (document is null)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "not a strict JSON object");
        }

        string? protectedSegment = null;
        string payloadSegment = string.Empty;
        string? signature = null;
        foreach (JsonProperty member in document.RootElement.EnumerateObject())
        {
            if (member.Name == "header")
            {
                // Unprotected members are not covered by the signature; this profile has none.
                return JwsVerificationResult.Failed(JwsVerificationStatus.HeaderRejected, "unprotected header members are not accepted");
            }

            if (member.Value.ValueKind != JsonValueKind.String)
            {
                return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "JWS JSON members must be strings");
            }

            switch (member.Name)
            {
                case "protected":
                    protectedSegment = member.Value.GetString();
                    break;
                case "payload":
                    payloadSegment = member.Value.GetString()!;
                    break;
                case "signature":
                    signature = member.Value.GetString();
                    break;
                default:
                    return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "unexpected member in flattened JWS JSON");
            }
        }

        if (protectedSegment is null || signature is null)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "flattened JWS needs protected and signature");
        }

        return VerifySegments(protectedSegment, payloadSegment, signature, keyByKid, detachedPayload, understoodCriticalMembers);
    }

    /// <summary>
    /// The protected header <c>{"alg":"EdDSA","kid":kid, ...members}</c>, encoded once so that many
    /// payloads can be signed under it (<see cref="SignCompact(Ed25519KeyPair, JwsProtectedHeader, ReadOnlySpan{byte}, bool)"/>).
    /// </summary>
    public static JwsProtectedHeader CreateProtectedHeader(string kid, IEnumerable<KeyValuePair<string, JsonNode?>>? headerMembers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kid);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", Algorithm);
            writer.WriteString("kid", kid);
            List<string>? written = null;
            foreach ((string name, JsonNode? value) in headerMembers ?? [])
            {
                written ??= new List<string>(4);
                if (ForbiddenForSigner.Contains(name) || ReservedForSigner.Contains(name) || written.Contains(name, StringComparer.Ordinal))
                {
                    throw CryptoError.InvalidArgument("The JWS header member '" + name + "' is reserved, forbidden or repeated.");
                }

                written.Add(name);
                writer.WritePropertyName(name);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return new JwsProtectedHeader(StrictBase64.EncodeUrl(buffer.WrittenSpan), Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>Signs <paramref name="payload"/> under a header made by <see cref="CreateProtectedHeader"/>; compact serialization.</summary>
    public static string SignCompact(Ed25519KeyPair key, JwsProtectedHeader header, ReadOnlySpan<byte> payload, bool detachedPayload = false)
    {
        ArgumentNullException.ThrowIfNull(header);
        (string payloadSegment, string signature) = SignUnder(key, header.Segment, payload);
        return string.Concat(header.Segment, ".", detachedPayload ? string.Empty : payloadSegment, ".", signature);
    }

    /// <summary>Ed25519 over the ASCII signing input <c>header.base64url(payload)</c>, built in one pooled buffer.</summary>
    private static (string Payload, string Signature) SignUnder(Ed25519KeyPair key, string headerSegment, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(key);
        int payloadLength = System.Buffers.Text.Base64Url.GetEncodedLength(payload.Length);
        int total = headerSegment.Length + 1 + payloadLength;
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(total);
        try
        {
            Span<byte> input = rented.AsSpan(0, total);
            Encoding.ASCII.GetBytes(headerSegment, input);
            input[headerSegment.Length] = (byte)'.';
            Span<byte> encodedPayload = input[(headerSegment.Length + 1)..];
            System.Buffers.Text.Base64Url.EncodeToUtf8(payload, encodedPayload, out _, out _);
            Span<byte> signature = stackalloc byte[64];
            key.Sign(input, signature);
            return (Encoding.ASCII.GetString(encodedPayload), StrictBase64.EncodeUrl(signature));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static JwsVerificationResult VerifySegments(string headerSegment, string payloadSegment, string signatureSegment, Func<string?, Ed25519PublicKey?> keyByKid, byte[]? detachedPayload, IReadOnlyCollection<string>? understoodCriticalMembers)
    {
        // Sizes first, so a huge header or signature segment is refused before it is decoded or parsed.
        if (headerSegment.Length > MaxProtectedHeaderLength)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "header is larger than " + MaxProtectedHeaderLength + " characters");
        }

        if (signatureSegment.Length != EncodedSignatureLength)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "signature is not 64 bytes of canonical base64url");
        }

        if (!StrictBase64.TryDecodeUrl(headerSegment, out byte[]? headerBytes))
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "header is not canonical unpadded base64url");
        }

        if (!StrictBase64.TryDecodeUrl(signatureSegment, out byte[]? signature) || signature.Length != Ed25519PublicKey.SignatureSize)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "signature is not 64 bytes of canonical base64url");
        }

        byte[]? payload;
        if (detachedPayload is not null)
        {
            if (payloadSegment.Length != 0)
            {
                return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "a detached payload was given but the JWS carries one");
            }

            payload = detachedPayload;
            payloadSegment = StrictBase64.EncodeUrl(detachedPayload);
        }
        else if (!StrictBase64.TryDecodeUrl(payloadSegment, out payload))
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "payload is not canonical unpadded base64url");
        }

        using JsonDocument? document = StrictJson.TryParseObject(headerBytes);
        if (document is null)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.Malformed, "header is not a strict JSON object without duplicate members");
        }

        JsonElement header = document.RootElement.Clone();
        string? rejection = CheckHeader(header, understoodCriticalMembers);
        if (rejection is not null)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.HeaderRejected, rejection, header);
        }

        string? kid = header.TryGetProperty("kid", out JsonElement kidElement) ? kidElement.GetString() : null;
        Ed25519PublicKey? key = keyByKid(kid);
        if (key is null)
        {
            return JwsVerificationResult.Failed(JwsVerificationStatus.UnknownKey, "no key for this kid", header);
        }

        byte[] signingInput = Encoding.ASCII.GetBytes(headerSegment + "." + payloadSegment);
        return key.Verify(signingInput, signature)
            ? JwsVerificationResult.Valid(header, payload)
            : JwsVerificationResult.Failed(JwsVerificationStatus.InvalidSignature, "signature does not verify", header);
    }

    /// <summary>Returns why the header is refused, or null when acceptable.</summary>
    private static string? CheckHeader(JsonElement header, IReadOnlyCollection<string>? understoodCriticalMembers)
    {
        if (!header.TryGetProperty("alg", out JsonElement alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != Algorithm)
        {
            return "alg must be EdDSA";
        }

        foreach (JsonProperty member in header.EnumerateObject())
        {
            if (KeyCarryingMembers.Contains(member.Name))
            {
                return "header member " + member.Name + " is not accepted";
            }
        }

        if (header.TryGetProperty("kid", out JsonElement kid) && kid.ValueKind != JsonValueKind.String)
        {
            return "kid must be a string";
        }

        // b64 (RFC 7797) changes what is signed; this profile never uses it, in crit or not.
        if (header.TryGetProperty("b64", out _))
        {
            return "b64 is not accepted";
        }

        if (header.TryGetProperty("crit", out JsonElement crit))
        {
            if (crit.ValueKind != JsonValueKind.Array || crit.GetArrayLength() == 0)
            {
                return "crit must be a non-empty array";
            }

            foreach (JsonElement name in crit.EnumerateArray())
            {
                if (name.ValueKind != JsonValueKind.String)
                {
                    return "crit must list strings";
                }

                string value = name.GetString()!;
                if (value == "b64" || understoodCriticalMembers is null || !understoodCriticalMembers.Contains(value) || !header.TryGetProperty(value, out _))
                {
                    return "crit lists a member that is not understood";
                }
            }
        }

        return null;
    }
}

/// <summary>A protected header made by <see cref="Jws.CreateProtectedHeader"/>: its base64url segment and its exact JSON.</summary>
public sealed class JwsProtectedHeader
{
    internal JwsProtectedHeader(string segment, string json)
    {
        Segment = segment;
        Json = json;
    }

    /// <summary>The base64url segment the signatures cover.</summary>
    public string Segment { get; }

    /// <summary>The JSON that segment encodes.</summary>
    public string Json { get; }
}
