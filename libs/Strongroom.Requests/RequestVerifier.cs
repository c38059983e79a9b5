using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Runner.V1;

namespace Strongroom.Requests;

/// <summary>
/// keyservice's own checks of a request before any private-key operation (DESIGN §3.2 "keyservice
/// checks too"): the client key from the key log, its state and owner, the signature and, for the
/// Strongroom envelope, the version and time window. Each failure has its own status; none of them
/// involves a private key, so none is an oracle.
/// </summary>
public sealed class RequestVerifier(IClientKeyDirectory directory, TimeProvider time)
{
    /// <summary>Longest lifetime of a Strongroom request.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(15);

    /// <summary>Clock skew allowed either side of the window.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromSeconds(60);

    /// <summary>StudioML: F names the key, S signs P. Returns the key's registered owner.</summary>
    public async Task<string> VerifyStudioMlAsync(string payload, string fingerprint, string signature, string clientIdentity, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(fingerprint) || !fingerprint.StartsWith("SHA256:", StringComparison.Ordinal) || fingerprint.Length > 64)
        {
            throw StrongroomException.InvalidArgument("fingerprint", "must be \"SHA256:\" and the unpadded base64 of the key's SHA-256");
        }

        var key = await RequireAsync(null, fingerprint, clientIdentity, cancellationToken);
        if (!StudioMlPayload.VerifyPayloadSignature(key.PublicKey, payload, signature ?? ""))
        {
            throw StrongroomException.PermissionDenied("the signature does not verify under the client's registered key");
        }

        return key.Owner;
    }

    /// <summary>Strongroom envelope: version, window, signing key, identity binding and signature.</summary>
    public async Task<string> VerifyStrongroomAsync(Envelope envelope, Header header, string clientIdentity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(header);
        if (header.Version != 1)
        {
            throw StrongroomException.InvalidArgument("envelope.header.version", $"version {header.Version} is unknown (only 1)");
        }

        if (header.RequestId.Length != 16)
        {
            throw StrongroomException.InvalidArgument("envelope.header.request_id", "must be 16 bytes");
        }

        if (header.ExpiresAt <= header.CreatedAt || header.ExpiresAt - header.CreatedAt > (long)MaxLifetime.TotalSeconds)
        {
            throw StrongroomException.InvalidArgument("envelope.header", "expires_at must follow created_at by at most 15 minutes");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)Skew.TotalSeconds;
        if (now < header.CreatedAt - skew)
        {
            throw StrongroomException.FailedPrecondition("request created in the future (check the client's clock)");
        }

        if (now > header.ExpiresAt + skew)
        {
            throw StrongroomException.FailedPrecondition("request expired");
        }

        if (!string.Equals(header.ClientIdentity, clientIdentity, StringComparison.Ordinal))
        {
            throw StrongroomException.PermissionDenied("the header's client identity is not the forwarded client identity");
        }

        if (!KeyLogEntry.IsKid(header.SigningKid))
        {
            throw StrongroomException.InvalidArgument("envelope.header.signing_kid", "missing or malformed");
        }

        var key = await RequireAsync(header.SigningKid, null, clientIdentity, cancellationToken);
        if (envelope.Signature.Length != 64
            || !StrongroomEnvelope.Verify(key.PublicKey, envelope.Header.Span, envelope.Enc.Span, envelope.Ct.Span, envelope.Signature.Span))
        {
            throw StrongroomException.PermissionDenied("the signature does not verify under the client's registered key");
        }

        return key.Owner;
    }

    private async Task<ClientSigningKey> RequireAsync(string? kid, string? fingerprint, string clientIdentity, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(clientIdentity))
        {
            throw StrongroomException.InvalidArgument("client_identity", "required");
        }

        var key = await directory.FindAsync(kid, fingerprint, cancellationToken)
            ?? throw StrongroomException.NotFound($"client signing key '{kid ?? fingerprint}' in the key log");
        if (key.State != KeyState.Enabled)
        {
            throw StrongroomException.FailedPrecondition($"client signing key '{key.Kid}' is {KeyLogEntry.Snake(key.State)}");
        }

        if (!string.Equals(key.Owner, clientIdentity, StringComparison.Ordinal))
        {
            throw StrongroomException.PermissionDenied("the signing key is registered to another client than the forwarded client identity");
        }

        return key;
    }
}
