using System.Text.Json;
using Strongroom.Crypto;
using Strongroom.KeyCustody;

namespace Strongroom.Signer.Domain;

/// <summary>Why a signature is not valid; mirrors signer.v1.VerifyFailure.</summary>
public enum VerifyFailureReason
{
    None,
    Malformed,
    AlgorithmNotAllowed,
    ForbiddenHeader,
    UnknownCriticalHeader,
    UnknownKey,
    KeyRevoked,
    SignedAfterDestroy,
    KeyBelowMinimumVersion,
    TypeMismatch,
    BadSignature,
}

/// <summary>A key version a signature may be checked against, with what decides its signatures' fate.</summary>
public sealed record VerificationKey(string KeyName, int Version, byte[] PublicKey, bool Revoked, KeyVersionState State, long? DestroyedAt, int MinimumVersion);

/// <summary>The answer: invalid is an answer, never an exception.</summary>
public sealed record VerifyOutcome(VerifyFailureReason Failure, string Detail, string Kid, string Typ, string Runner, long IssuedAt, byte[]? Payload)
{
    public bool Valid => Failure == VerifyFailureReason.None;
}

/// <summary>
/// Verifies JWS made by this signer's JWS keys. The JOSE rules come from <see cref="Jws"/> (alg
/// pinned to EdDSA, jwk/jku/x5u/x5c and b64 refused, crit with anything refused since this profile
/// understands no extension); on top of a good signature the key's lifecycle decides: revoked →
/// every signature invalid; destroyed → valid only when iat is before the destroy time; below the
/// key's minimum version → invalid. Disabled versions' signatures stay valid (disabling stops
/// signing; revocation is what withdraws trust), which matches the JWKS a stock library uses.
/// </summary>
public static class SignatureVerifier
{
    public static VerifyOutcome Verify(string? jws, byte[]? detachedPayload, string? expectedTyp, IReadOnlyDictionary<string, VerificationKey> keysByKid)
    {
        if (string.IsNullOrWhiteSpace(jws))
        {
            return Fail(VerifyFailureReason.Malformed, "no JWS", null);
        }

        Ed25519PublicKey? Resolve(string? kid) =>
            kid is not null && keysByKid.TryGetValue(kid, out var key) && Ed25519PublicKey.TryImport(key.PublicKey, out var pub) ? pub : null;

        var trimmed = jws.TrimStart();
        var result = trimmed.StartsWith('{')
            ? Jws.VerifyFlattened(jws, Resolve, detachedPayload)
            : Jws.VerifyCompact(jws, Resolve, detachedPayload);
        var header = result.ProtectedHeader;
        switch (result.Status)
        {
            case JwsVerificationStatus.Malformed:
                return Fail(VerifyFailureReason.Malformed, result.Reason, header);
            case JwsVerificationStatus.HeaderRejected:
                return Fail(ClassifyHeaderRejection(header), result.Reason, header);
            case JwsVerificationStatus.UnknownKey:
                return Fail(VerifyFailureReason.UnknownKey, "no JWS key of this signer has this kid", header);
            case JwsVerificationStatus.InvalidSignature:
                return Fail(VerifyFailureReason.BadSignature, "the Ed25519 signature does not match", header);
        }

        var h = header!.Value;
        if (!TryString(h, "typ", out var typ) || !TryString(h, "runner", out var runner)
            || !h.TryGetProperty("iat", out var iatElement) || iatElement.ValueKind != JsonValueKind.Number || !iatElement.TryGetInt64(out var iat))
        {
            // Every JWS this signer makes carries all three; a signature without them is not ours to vouch for.
            return Fail(VerifyFailureReason.Malformed, "typ, runner and an integer iat are required", header);
        }

        var key = keysByKid[result.Kid!];
        if (key.Revoked)
        {
            return Fail(VerifyFailureReason.KeyRevoked, "the signing key version is revoked", header);
        }

        if (key.Version < key.MinimumVersion)
        {
            return Fail(VerifyFailureReason.KeyBelowMinimumVersion, $"version {key.Version} is below the minimum version {key.MinimumVersion}", header);
        }

        if (key.State == KeyVersionState.Destroyed && (key.DestroyedAt is not { } destroyedAt || iat >= destroyedAt))
        {
            return Fail(VerifyFailureReason.SignedAfterDestroy, "iat is not before the signing version's destruction", header);
        }

        if (!string.IsNullOrEmpty(expectedTyp) && typ != expectedTyp)
        {
            return Fail(VerifyFailureReason.TypeMismatch, $"typ is {typ}, not {expectedTyp}", header);
        }

        return new VerifyOutcome(VerifyFailureReason.None, "valid", result.Kid!, typ, runner, iat, result.Payload);
    }

    /// <summary>Which header rule refused it, from the header itself (not from message text).</summary>
    private static VerifyFailureReason ClassifyHeaderRejection(JsonElement? header)
    {
        if (header is not { } h)
        {
            // Only an unprotected header is refused before the protected one is known.
            return VerifyFailureReason.ForbiddenHeader;
        }

        if (!h.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != Jws.Algorithm)
        {
            return VerifyFailureReason.AlgorithmNotAllowed;
        }

        foreach (var name in new[] { "jwk", "jku", "x5u", "x5c", "b64" })
        {
            if (h.TryGetProperty(name, out _))
            {
                return VerifyFailureReason.ForbiddenHeader;
            }
        }

        return h.TryGetProperty("crit", out _) ? VerifyFailureReason.UnknownCriticalHeader : VerifyFailureReason.Malformed;
    }

    private static bool TryString(JsonElement header, string name, out string value)
    {
        value = "";
        if (header.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String)
        {
            value = element.GetString()!;
            return true;
        }

        return false;
    }

    private static VerifyOutcome Fail(VerifyFailureReason reason, string detail, JsonElement? header)
    {
        string Str(string name) => header is { } h && h.ValueKind == JsonValueKind.Object && h.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
        long iat = header is { } hh && hh.ValueKind == JsonValueKind.Object && hh.TryGetProperty("iat", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt64(out var v) ? v : 0;
        return new VerifyOutcome(reason, detail, Str("kid"), Str("typ"), Str("runner"), iat, null);
    }
}
