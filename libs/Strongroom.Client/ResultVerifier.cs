using System.Security.Cryptography;
using System.Text.Json;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Requests;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Client;

/// <summary>Why a stored result was refused; each is a different thing to act on.</summary>
public enum ResultFailure
{
    /// <summary>The signed result is not a compact JWS.</summary>
    Malformed = 1,

    /// <summary>The JWS header breaks the profile (alg other than EdDSA, key-carrying members, crit...).</summary>
    HeaderRejected,

    /// <summary>The header lacks the signer-set <c>iat</c> or <c>runner</c>.</summary>
    HeaderIncomplete,

    /// <summary>The kid is not a result-signing key of the signer in the pinned key log.</summary>
    UnknownSigningKey,

    /// <summary>The signature does not verify under the logged key.</summary>
    BadSignature,

    /// <summary><c>typ</c> is not <c>strongroom-result</c> (e.g. a config signed by an operator).</summary>
    WrongType,

    /// <summary>The signing key was revoked, or destroyed before the result was signed.</summary>
    SigningKeyRevoked,

    /// <summary>The payload is not a version-1 result document.</summary>
    DocumentMalformed,

    JobIdMismatch,

    OwnerMismatch,

    /// <summary>The result is for another request than the one this client sent.</summary>
    RequestDigestMismatch,

    /// <summary>The stored output is not the one the runner signed (altered or truncated in storage).</summary>
    OutputDigestMismatch,

    /// <summary>The output is sealed to another key than the client's, or not sealed though it should be.</summary>
    SealedToWrongKey,

    /// <summary>The sealed output does not open with the client's key and job id.</summary>
    CannotOpen,

    /// <summary>storage's clear fields (job, owner, runner, sealed-to kid) disagree with the signed document.</summary>
    StoredFieldsMismatch,

    /// <summary>The key log itself could not be verified (bad checkpoint, fork, failed inclusion proof), so no signing key can be believed.</summary>
    KeyLogUnverified,
}

/// <summary>A result that must not be believed. The message says why, never with secrets.</summary>
public sealed class ResultVerificationException : StrongroomClientException
{
    public override ClientError Error => ClientError.Unverified;

    public ResultVerificationException()
    {
    }

    public ResultVerificationException(string message)
        : base(message)
    {
    }

    public ResultVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ResultVerificationException(ResultFailure failure, string message, Exception? innerException = null)
        : base(ClientError.Unverified, message, innerException)
    {
        Failure = failure;
    }

    public ResultFailure Failure { get; }
}

/// <summary>What the client kept when it submitted: the job, who it is, what it sent, where results are sealed.</summary>
/// <param name="RequestSha256">RequestDigest.OfEnvelope / OfStudioMl of the request as sent.</param>
public sealed record ResultExpectation(string JobId, string Owner, byte[] RequestSha256)
{
    /// <summary>The kid the output must be sealed to; when null, the sealing key passed to verify decides (and without one, any).</summary>
    public string? SealingKid { get; init; }
}

/// <summary>A result whose signature, signer, document and output all checked out.</summary>
/// <param name="Output">The clear output (opened when sealed); null when sealed and no sealing key was given.</param>
public sealed record VerifiedResult(ResultDocument Document, byte[]? Output, string SignerKid, string RunnerIdentity, long IssuedAt);

/// <summary>
/// Verifies a stored result as DESIGN §3.4 says a client must: the JWS with alg pinned to EdDSA and
/// typ strongroom-result, by a result-signing key the pinned key log has for the signer and has not
/// revoked (a destroyed key only for signatures issued before it was destroyed); a document naming
/// this job, this owner and the request exactly as sent; the output exactly as stored; and, when
/// sealed, sealed to the client's key and opened with it.
/// </summary>
public static class ResultVerifier
{
    public const string ResultType = "strongroom-result";

    /// <summary>
    /// <paramref name="resultKeys"/> answers a kid's state as replayed from the pinned key log (null
    /// when the log has no such key); see <see cref="VerifyAsync"/> for the one that asks the log.
    /// </summary>
    public static VerifiedResult Verify(StorageApi.Result stored, ResultExpectation expected, Func<string, ReplayedKey?> resultKeys, X25519KeyPair? sealingKey = null)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(resultKeys);

        // alg is looked at before anything else so "none" or HS256 get a clear answer, not "malformed signature".
        if (DeclaredAlgorithm(stored.SignedResult) is { } alg && alg != Jws.Algorithm)
        {
            throw Fail(ResultFailure.HeaderRejected, $"the signed result declares alg {(alg.Length > 16 ? alg[..16] + "..." : alg)}; only {Jws.Algorithm} is accepted");
        }

        ReplayedKey? signer = null;
        string? refusedKey = null;
        var jws = Jws.VerifyCompact(stored.SignedResult, kid =>
        {
            if (kid is null)
            {
                return null;
            }

            var key = resultKeys(kid);
            if (key is null || key.Kind != KeyKind.ResultSigning || key.Owner != WorkloadIdentity.Signer.ToString())
            {
                refusedKey = key is null ? $"kid {kid} is not in the key log" : $"kid {kid} is a {KeyLogEntry.Snake(key.Kind)} key of {key.Owner}, not a result-signing key of the signer";
                return null;
            }

            signer = key;
            using var jwk = JsonWebKey.Parse(key.JwkJson);
            return jwk.ToEd25519PublicKey();
        });

        switch (jws.Status)
        {
            case JwsVerificationStatus.Valid:
                break;
            case JwsVerificationStatus.Malformed:
                throw Fail(ResultFailure.Malformed, $"the signed result is not a compact JWS ({jws.Reason})");
            case JwsVerificationStatus.HeaderRejected:
                throw Fail(ResultFailure.HeaderRejected, $"the signed result's header is refused ({jws.Reason})");
            case JwsVerificationStatus.UnknownKey:
                throw Fail(ResultFailure.UnknownSigningKey, $"the result is not signed by a result-signing key in the key log: {refusedKey ?? "no kid"}");
            default:
                throw Fail(ResultFailure.BadSignature, "the result's signature does not verify under the logged signing key");
        }

        var header = jws.ProtectedHeader!.Value;
        if (!header.TryGetProperty("typ", out var typ) || typ.ValueKind != JsonValueKind.String || typ.GetString() != ResultType)
        {
            throw Fail(ResultFailure.WrongType, $"the signed document is not a result (typ must be {ResultType})");
        }

        if (!header.TryGetProperty("iat", out var iatElement) || !iatElement.TryGetInt64(out var issuedAt)
            || !header.TryGetProperty("runner", out var runnerElement) || runnerElement.ValueKind != JsonValueKind.String)
        {
            throw Fail(ResultFailure.HeaderIncomplete, "the result's header lacks the signer-set iat or runner");
        }

        var runner = runnerElement.GetString()!;
        if (!signer!.AcceptsSignatureIssuedAt(issuedAt))
        {
            throw Fail(ResultFailure.SigningKeyRevoked, signer.State == KeyState.Revoked
                ? $"signing key {signer.Kid} is revoked: none of its signatures can be believed"
                : $"signing key {signer.Kid} was destroyed before this result was signed (iat {issuedAt})");
        }

        ResultDocument document;
        try
        {
            document = ResultDocument.Parse(jws.Payload);
        }
        catch (FormatException ex)
        {
            throw Fail(ResultFailure.DocumentMalformed, $"the signed payload is not a result document ({ex.Message})", ex);
        }

        if (document.JobId != expected.JobId)
        {
            throw Fail(ResultFailure.JobIdMismatch, $"the signed result is for job {document.JobId}, not {expected.JobId}");
        }

        if (document.Owner != expected.Owner)
        {
            throw Fail(ResultFailure.OwnerMismatch, $"the signed result belongs to {document.Owner}, not {expected.Owner}");
        }

        if (!CryptographicOperations.FixedTimeEquals(document.RequestSha256, expected.RequestSha256))
        {
            throw Fail(ResultFailure.RequestDigestMismatch, "the signed result names another request than the one this client sent");
        }

        if (stored.JobId != document.JobId || stored.OwnerIdentity != document.Owner || stored.SealedToKid != document.SealedToKid
            || (stored.RunnerIdentity.Length > 0 && stored.RunnerIdentity != runner))
        {
            throw Fail(ResultFailure.StoredFieldsMismatch, "storage's job, owner, runner or sealed-to kid disagree with the signed result");
        }

        var output = stored.Output.ToByteArray();
        if (output.LongLength != document.OutputSize || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(output), document.OutputSha256))
        {
            throw Fail(ResultFailure.OutputDigestMismatch, "the stored output is not the output the runner signed (altered or cut in storage)");
        }

        var expectedSealingKid = expected.SealingKid ?? (sealingKey is null ? null : Thumbprint(sealingKey.PublicKey));
        if (sealingKey is not null && expectedSealingKid != Thumbprint(sealingKey.PublicKey))
        {
            throw new ArgumentException("the sealing key given is not the expected sealing kid", nameof(sealingKey));
        }

        if (expectedSealingKid is not null && document.SealedToKid != expectedSealingKid)
        {
            throw Fail(ResultFailure.SealedToWrongKey, document.SealedToKid.Length == 0
                ? $"the output is stored in clear, not sealed to {expectedSealingKid}"
                : $"the output is sealed to {document.SealedToKid}, not to this client's key {expectedSealingKid}");
        }

        byte[]? clear = document.SealedToKid.Length == 0 ? output : null;
        if (document.SealedToKid.Length > 0 && sealingKey is not null)
        {
            try
            {
                clear = ResultSealing.Open(sealingKey, document.JobId, stored.OutputEnc.Span, output);
            }
            catch (CryptoException ex)
            {
                throw Fail(ResultFailure.CannotOpen, "the sealed output does not open with this client's key for this job id", ex);
            }
        }

        return new VerifiedResult(document, clear, signer.Kid, runner, issuedAt);
    }

    /// <summary>As <see cref="Verify"/>, the signing key's state proven from the pinned key log.</summary>
    public static async Task<VerifiedResult> VerifyAsync(StorageApi.Result stored, ResultExpectation expected, PinnedLog log, X25519KeyPair? sealingKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(log);
        // First pass only reads the header's kid; nothing in it is trusted until Verify below.
        var kid = Jws.VerifyCompact(stored.SignedResult, _ => null).Kid;
        ReplayedKey? key;
        try
        {
            key = kid is null || !KeyLogEntry.IsKid(kid) ? null : await log.VerifyKeyAsync(kid, cancellationToken);
        }
        catch (KeyLogVerificationException ex)
        {
            throw Fail(ResultFailure.KeyLogUnverified, $"the key log cannot be believed, so neither can the result's signer: {ex.Message}", ex);
        }

        return Verify(stored, expected, k => k == kid ? key : null, sealingKey);
    }

    /// <summary>The header's alg when the first segment is a JSON object with a string alg; null otherwise (Jws then says why).</summary>
    private static string? DeclaredAlgorithm(string? jws)
    {
        var dot = jws?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0 || !StrictBase64.TryDecodeUrl(jws.AsSpan(0, dot), out var header))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(header);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("alg", out var alg)
                ? alg.ValueKind == JsonValueKind.String ? alg.GetString() : alg.GetRawText()
                : "(none given)";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Thumbprint(X25519PublicKey key)
    {
        using var jwk = JsonWebKey.FromPublicKey(key);
        return jwk.Thumbprint();
    }

    private static ResultVerificationException Fail(ResultFailure failure, string message, Exception? inner = null) => new(failure, message, inner);
}
