using System.Text.Json.Nodes;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Pki;

namespace Strongroom.Signer.Domain;

/// <summary>What Sign produced; every output names its key version.</summary>
public sealed record SignOutcome(string Jws, string Kid, string KeyName, int Version, string ProtectedHeaderJson, long IssuedAt);

/// <summary>What SignBatch produced: one JWS per payload, in order, all under one key version and one protected header.</summary>
public sealed record SignBatchOutcome(IReadOnlyList<string> Jws, string Kid, string KeyName, int Version, string ProtectedHeaderJson, long IssuedAt);

/// <summary>
/// Signs JWS (RFC 7515, alg EdDSA) with the primary version of a JWS key. The protected header is
/// <c>{"alg","kid","typ","runner","iat"}</c>, and the signer alone chooses typ, runner and iat:
/// typ from the authenticated caller's role, runner = the caller's mTLS identity, iat = this
/// process's clock. None of them is listed in crit, and there is no request field for any header
/// member, so a caller cannot claim another role, another runner or another time.
/// </summary>
public sealed class ResultSigner(SigningKeySet keys, SignerOptions options, TimeProvider time)
{
    /// <summary>A version's public key never changes, so neither does its kid (an RFC 7638 thumbprint: JSON and SHA-256 per call otherwise).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, int), string> _kids = new();

    public const string ResultType = "strongroom-result";
    public const string ConfigType = "strongroom-config";

    /// <summary>typ follows the caller's role: the runner signs results, operators sign configuration. Anyone else is refused.</summary>
    public static string TypeFor(WorkloadIdentity caller) =>
        caller == WorkloadIdentity.Runner ? ResultType
        : caller.IsOperator ? ConfigType
        : throw StrongroomException.PermissionDenied("only the runner and operators may have documents signed");

    public async Task<SignOutcome> SignAsync(WorkloadIdentity caller, string? keyName, ReadOnlyMemory<byte> payload, bool detached, bool flattened, CancellationToken cancellationToken)
    {
        var batch = await SignCoreAsync(caller, keyName, [payload], detached, flattened, single: true, cancellationToken);
        return new SignOutcome(batch.Jws[0], batch.Kid, batch.KeyName, batch.Version, batch.ProtectedHeaderJson, batch.IssuedAt);
    }

    /// <summary>
    /// Signs every payload with one lease of the primary version under one protected header (one
    /// iat), in order. All or nothing: every payload is checked before the first is signed.
    /// </summary>
    public Task<SignBatchOutcome> SignBatchAsync(WorkloadIdentity caller, string? keyName, IReadOnlyList<ReadOnlyMemory<byte>> payloads, bool detached, bool flattened, CancellationToken cancellationToken) =>
        SignCoreAsync(caller, keyName, payloads, detached, flattened, single: false, cancellationToken);

    private async Task<SignBatchOutcome> SignCoreAsync(WorkloadIdentity caller, string? keyName, IReadOnlyList<ReadOnlyMemory<byte>> payloads, bool detached, bool flattened, bool single, CancellationToken cancellationToken)
    {
        var typ = TypeFor(caller);
        var name = string.IsNullOrEmpty(keyName) ? options.DefaultKeyName : keyName;
        if (keys.PurposeOf(name) != SigningPurpose.Jws)
        {
            // The log key's signatures mean "this checkpoint is consistent"; a JWS under it would blur that.
            throw StrongroomException.InvalidArgument("key_name", "the log-checkpoint key signs no JWS");
        }

        if (payloads.Count == 0 || payloads.Count > MaxBatch)
        {
            throw StrongroomException.InvalidArgument("payloads", $"between 1 and {MaxBatch} payloads per batch");
        }

        for (var i = 0; i < payloads.Count; i++)
        {
            if (payloads[i].Length > options.MaxPayloadBytes)
            {
                var field = single ? "payload" : $"payloads[{i}]";
                throw StrongroomException.InvalidArgument(field, $"at most {options.MaxPayloadBytes} bytes; sign a document naming the digest of larger outputs");
            }
        }

        // Only the primary version signs, and the primary is always enabled: disabled, destroyed and
        // revoked versions can never be chosen here.
        using var lease = await keys.Custodian.AcquireAsync(name, null, cancellationToken);
        var kid = _kids.GetOrAdd((name, lease.Version.Version), static (_, publicKey) => SigningKeySet.KidOf(publicKey), lease.Version.PublicKey);
        var iat = time.GetUtcNow().ToUnixTimeSeconds();
        KeyValuePair<string, JsonNode?>[] members =
        [
            new("typ", typ),
            new("runner", caller.ToString()),
            new("iat", iat),
        ];
        var header = Jws.CreateProtectedHeader(kid, members);
        var signingKey = lease.Handle<Ed25519KeyPair>();
        var signed = new string[payloads.Count];
        for (var i = 0; i < payloads.Count; i++)
        {
            signed[i] = flattened
                ? Jws.SignFlattened(signingKey, header, payloads[i].Span, detached)
                : Jws.SignCompact(signingKey, header, payloads[i].Span, detached);
        }

        return new SignBatchOutcome(signed, kid, name, lease.Version.Version, header.Json, iat);
    }

    /// <summary>Most payloads one SignBatch call signs.</summary>
    public const int MaxBatch = 256;
}
