using System.Text.Json;
using System.Text.RegularExpressions;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Store;

namespace Strongroom.Storage.Domain;

/// <summary>
/// Signed results by job id. PutResult accepts only a JWS of <c>typ: strongroom-result</c> that
/// verifies against a logged, enabled result-signing key of the signer and names the job id it is
/// stored under; it is idempotent by job id. Reads are owner-scoped: anyone but the owner and
/// operators gets NOT_FOUND, so job ids leak nothing.
/// </summary>
public sealed partial class ResultService(IStorageStore store, KeyLookup keys, StorageOptions options, TimeProvider time)
{
    public const string ResultType = "strongroom-result";
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 50;

    private PageTokens? _tokens;

    public async Task<(bool Created, long StoreTime)> PutResultAsync(WorkloadIdentity runner, string jobId, string ownerIdentity, string signedResult, byte[] output, byte[] outputEnc, string sealedToKid, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(outputEnc);
        if (!JobIdPattern().IsMatch(jobId ?? ""))
        {
            throw StrongroomException.InvalidArgument("job_id", "1-128 of [A-Za-z0-9._-]");
        }

        var owner = KeyLogRules.ParseIdentity(ownerIdentity, "owner_identity");
        if (!owner.IsClient)
        {
            throw StrongroomException.InvalidArgument("owner_identity", "must be a client identity");
        }

        if (output.Length > options.MaxOutputBytes)
        {
            throw StrongroomException.InvalidArgument("output", $"larger than {options.MaxOutputBytes} bytes");
        }

        if (string.IsNullOrEmpty(signedResult) || signedResult.Length > options.MaxSignedResultBytes)
        {
            throw StrongroomException.InvalidArgument("signed_result", $"missing or larger than {options.MaxSignedResultBytes} bytes");
        }

        await CheckSealingAsync(owner, outputEnc, sealedToKid ?? "", ct);
        await CheckSignatureAsync(jobId!, signedResult, ct);

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var outcome = await store.PutResultAsync(new StoredResult(jobId!, owner.ToString(), runner.ToString(), signedResult, output, outputEnc, sealedToKid ?? "", now), ct);
        switch (outcome)
        {
            case PutOutcome.Created:
                return (true, now);
            case PutOutcome.Identical:
                var existing = await store.GetResultAsync(jobId!, ct);
                return (false, existing!.StoreTime);
            default:
                throw StrongroomException.AlreadyExists($"a different result for job {jobId}");
        }
    }

    private async Task CheckSealingAsync(WorkloadIdentity owner, byte[] outputEnc, string sealedToKid, CancellationToken ct)
    {
        if (outputEnc.Length == 0 && sealedToKid.Length == 0)
        {
            return;
        }

        if (outputEnc.Length != 32)
        {
            throw StrongroomException.InvalidArgument("output_enc", "an X25519 encapsulated key is 32 bytes");
        }

        var sealing = await keys.KeyWithStateAsync(sealedToKid, ct);
        if (sealing is not { } s || s.Key.Owner != owner.ToString() || s.Key.Kind != KeyLogEntry.Snake(KeyKind.ClientSealing))
        {
            throw StrongroomException.InvalidArgument("sealed_to_kid", "not a sealing key registered to the owner");
        }

        if (s.State == KeyState.Revoked)
        {
            throw StrongroomException.FailedPrecondition("sealed_to_kid is revoked");
        }
    }

    private async Task CheckSignatureAsync(string jobId, string signedResult, CancellationToken ct)
    {
        // First pass only reads the header's kid (no key given, so nothing is believed yet).
        var probe = Jws.VerifyCompact(signedResult, _ => null);
        if (probe.Status is JwsVerificationStatus.Malformed or JwsVerificationStatus.HeaderRejected)
        {
            throw StrongroomException.InvalidArgument("signed_result", "not an acceptable compact JWS: " + probe.Reason);
        }

        var kid = probe.Kid;
        var found = kid is null ? null : await keys.KeyWithStateAsync(kid, ct);
        if (found is not { } signer || signer.Key.Owner != WorkloadIdentity.Signer.ToString() || signer.Key.Kind != KeyLogEntry.Snake(KeyKind.ResultSigning))
        {
            throw StrongroomException.FailedPrecondition("signed_result is not signed by a logged result-signing key of the signer");
        }

        if (signer.State != KeyState.Enabled)
        {
            throw StrongroomException.FailedPrecondition($"the signing key is {KeyLogEntry.Snake(signer.State)}");
        }

        using var jwk = JsonWebKey.Parse(signer.Key.JwkJson);
        var verified = Jws.VerifyCompact(signedResult, jwk.ToEd25519PublicKey());
        if (!verified.IsValid)
        {
            throw StrongroomException.InvalidArgument("signed_result", "signature does not verify: " + verified.Reason);
        }

        var header = verified.ProtectedHeader!.Value;
        if (!header.TryGetProperty("typ", out var typ) || typ.ValueKind != JsonValueKind.String || typ.GetString() != ResultType)
        {
            // A configuration document (typ strongroom-config) signed for an operator is not a result.
            throw StrongroomException.InvalidArgument("signed_result", $"typ must be {ResultType}");
        }

        try
        {
            using var document = JsonDocument.Parse(verified.Payload!);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("job_id", out var named) || named.ValueKind != JsonValueKind.String
                || named.GetString() != jobId)
            {
                throw StrongroomException.InvalidArgument("signed_result", "the result document does not name this job_id");
            }
        }
        catch (JsonException)
        {
            throw StrongroomException.InvalidArgument("signed_result", "the result document is not JSON");
        }
    }

    public async Task<StoredResult> GetResultAsync(WorkloadIdentity caller, string jobId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var result = string.IsNullOrEmpty(jobId) ? null : await store.GetResultAsync(jobId, ct);
        if (result is null || (!caller.IsOperator && result.Owner != caller.ToString()))
        {
            throw StrongroomException.NotFound($"result for job {jobId}");
        }

        return result;
    }

    public async Task<(IReadOnlyList<StoredResult> Results, string NextPageToken)> ListResultsAsync(WorkloadIdentity caller, string? ownerIdentity, int pageSize, string? pageToken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        string? owner;
        if (caller.IsOperator)
        {
            owner = string.IsNullOrEmpty(ownerIdentity) ? null : KeyLogRules.ParseIdentity(ownerIdentity, "owner_identity").ToString();
        }
        else
        {
            if (!string.IsNullOrEmpty(ownerIdentity) && KeyLogRules.ParseIdentity(ownerIdentity, "owner_identity") != caller)
            {
                throw StrongroomException.PermissionDenied("clients list only their own results");
            }

            owner = caller.ToString();
        }

        var scope = owner ?? "*";
        var tokens = _tokens ??= new PageTokens(await store.GetOrCreateSecretAsync("page-token-key", 32, ct));
        var after = tokens.Read(pageToken, scope);
        var size = pageSize <= 0 ? DefaultPageSize : Math.Min(pageSize, MaxPageSize);
        var rows = await store.ListResultsAsync(owner, after, size + 1, ct);
        var page = rows.Take(size).ToList();
        var next = rows.Count > size ? tokens.Issue(scope, page[^1].Sequence) : "";
        return (page, next);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex JobIdPattern();
}
