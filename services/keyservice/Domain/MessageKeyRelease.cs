using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyCustody;
using Strongroom.KeyCustody.Kinds;
using Strongroom.Requests;
using Strongroom.Runner.V1;

namespace Strongroom.KeyService.Domain;

/// <summary>The per-message key material keyservice hands the runner: never a private key.</summary>
public sealed record HpkeMessageKeyMaterial(byte[] AeadKey, byte[] BaseNonce);

/// <summary>
/// Recovers per-message keys for the runner. Checks before the private-key operation may fail with
/// specific errors; from the private-key operation on, nothing fails and nothing says which version
/// worked, so keyservice is no decryption oracle (DESIGN §3.1, §3.2).
/// </summary>
public sealed class MessageKeyRelease(KeyCustodian custodian, KeyServiceOptions options, RequestVerifier verifier, RequestLedger ledger, TimeProvider time)
{
    /// <summary>Expired ledger rows are garbage (expired envelopes are refused before the ledger); sweeping them on every call scanned the table.</summary>
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (string Key, int Version)> _kidIndex = new(StringComparer.Ordinal);
    private long _nextPurge;

    /// <summary>
    /// StudioML: verifies the request (client key from the key log, owner, signature, replay
    /// budget), then tries every usable RSA-4096 version of <paramref name="keyName"/> with exactly
    /// one RSA operation each, keeps the candidate key that authenticates the secretbox, and
    /// otherwise returns 32 random bytes. Never throws after the pre-checks.
    /// </summary>
    public async Task<(byte[] MessageKey, string Owner)> UnwrapStudioMlAsync(
        string keyName, string payload, string fingerprint, string signature, string clientIdentity, CancellationToken cancellationToken)
    {
        var error = StudioMlPayload.TryParse(payload, out var parts);
        if (error != StudioMlPayloadError.None)
        {
            throw StrongroomException.InvalidArgument("payload", StudioMlPayload.Describe(error));
        }

        var owner = await verifier.VerifyStudioMlAsync(payload, fingerprint, signature, clientIdentity, cancellationToken);

        var key = await custodian.GetKeyAsync(keyName, cancellationToken);
        if (key.Kind != Rsa4096Kind.KindName)
        {
            throw StrongroomException.InvalidArgument("key_name", $"key '{keyName}' is not an RSA-4096 key");
        }

        var leases = await custodian.AcquireAllUsableAsync(keyName, cancellationToken);
        try
        {
            if (leases.Count == 0)
            {
                throw StrongroomException.FailedPrecondition($"key '{keyName}' has no usable version");
            }

            // The last check: spend one unwrap of this payload, durably, before the RSA operation.
            await ledger.SpendAsync(RequestLedger.StudioMlKey(payload), null, cancellationToken);

            // --- From here on: no exception, no branch on secret data, one answer shape. ---
            var candidates = StudioMlPayload.UnwrapKeyCandidates(leases.Select(l => l.Handle<RSA>()).ToList(), parts!.WrappedKey);
            var chosen = SecureRandom.GetBytes(StudioMlPayload.KeySize);
            foreach (var candidate in candidates)
            {
                var opens = StudioMlPayload.TryOpenBox(candidate, parts.Box, out var plaintext);
                if (plaintext is not null)
                {
                    CryptographicOperations.ZeroMemory(plaintext);
                }

                ConditionalCopy(opens, candidate, chosen);
                CryptographicOperations.ZeroMemory(candidate);
            }

            return (chosen, owner);
        }
        finally
        {
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>
    /// HPKE: verifies the envelope (version, window, client key from the key log, identity binding,
    /// signature, replay budget), then finds the X25519 version whose RFC 7638 thumbprint is the
    /// header's recipient kid and decapsulates. A bad encapsulated key yields random key material, never an error.
    /// </summary>
    public async Task<HpkeMessageKeyMaterial> DecapsulateAsync(Envelope envelope, string clientIdentity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        Header header;
        try
        {
            header = Header.Parser.ParseFrom(envelope.Header);
        }
        catch (InvalidProtocolBufferException)
        {
            throw StrongroomException.InvalidArgument("envelope.header", "not a strongroom.runner.v1.Header");
        }

        if (envelope.Enc.Length != Hpke.EncapsulatedKeySize)
        {
            throw StrongroomException.InvalidArgument("envelope.enc", $"must be {Hpke.EncapsulatedKeySize} bytes");
        }

        await verifier.VerifyStrongroomAsync(envelope, header, clientIdentity, cancellationToken);
        var (keyName, version) = await ResolveKidAsync(header.RecipientKid, cancellationToken);
        using var lease = await custodian.AcquireAsync(keyName, version, cancellationToken);

        // The last check: spend one decapsulation of this request id, durably, before the X25519 operation.
        await PurgeExpiredNowAndThenAsync(cancellationToken);
        await ledger.SpendAsync(RequestLedger.StrongroomKey(header.ClientIdentity, header.RequestId.Span), header.ExpiresAt, cancellationToken);

        // --- From here on: no exception reaches the caller. ---
        try
        {
            using var keys = Hpke.DecapsulateMessageKeys(envelope.Enc.Span, lease.Handle<X25519KeyPair>(), Hpke.RequestInfo);
            return new HpkeMessageKeyMaterial(keys.Key.ToArray(), keys.BaseNonce.ToArray());
        }
        catch (CryptoException)
        {
            // A low-order enc gives an all-zero shared secret; answer like any other envelope.
            return new HpkeMessageKeyMaterial(SecureRandom.GetBytes(Hpke.KeySize), SecureRandom.GetBytes(Hpke.NonceSize));
        }
    }

    /// <summary>
    /// The runner stored the result: keyservice refuses the request from now on. Idempotent. Only
    /// the replay key is needed, so a completion never depends on the envelope still being around.
    /// </summary>
    public Task CompleteStudioMlAsync(ReadOnlySpan<byte> payloadSha256, CancellationToken cancellationToken)
    {
        if (payloadSha256.Length != 32)
        {
            throw StrongroomException.InvalidArgument("studioml_payload_sha256", "must be 32 bytes");
        }

        return ledger.CompleteAsync(RequestLedger.StudioMlKey(payloadSha256), cancellationToken);
    }

    /// <summary>Completion of a Strongroom request: (client identity, 16-byte request id).</summary>
    public Task CompleteStrongroomAsync(string clientIdentity, ReadOnlySpan<byte> requestId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(clientIdentity))
        {
            throw StrongroomException.InvalidArgument("strongroom.client_identity", "required");
        }

        if (requestId.Length != 16)
        {
            throw StrongroomException.InvalidArgument("strongroom.request_id", "must be 16 bytes");
        }

        return ledger.CompleteAsync(RequestLedger.StrongroomKey(clientIdentity, requestId), cancellationToken);
    }

    /// <summary>The key and version an X25519 recipient kid names (never the import key).</summary>
    /// <summary>At most once per <see cref="PurgeInterval"/>: forgets ledger rows of envelopes that can no longer be accepted.</summary>
    private async Task PurgeExpiredNowAndThenAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var due = Interlocked.Read(ref _nextPurge);
        if (now < due || Interlocked.CompareExchange(ref _nextPurge, now + (long)PurgeInterval.TotalSeconds, due) != due)
        {
            return;
        }

        await ledger.PurgeExpiredAsync(now - (long)RequestVerifier.Skew.TotalSeconds, cancellationToken);
    }

    public async Task<(string Key, int Version)> ResolveKidAsync(string kid, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(kid) || kid.Length > 64)
        {
            throw StrongroomException.InvalidArgument("header.recipient_kid", "missing or malformed");
        }

        if (_kidIndex.TryGetValue(kid, out var hit))
        {
            return hit;
        }

        foreach (var key in await custodian.ListKeysAsync(cancellationToken))
        {
            if (key.Kind != X25519Kind.KindName || key.Name == options.ImportKeyName)
            {
                continue;
            }

            foreach (var v in await custodian.ListVersionsAsync(key.Name, cancellationToken))
            {
                _kidIndex.TryAdd(PublicKeyView.Of(key.Kind, v).Kid, (key.Name, v.Version));
            }
        }

        return _kidIndex.TryGetValue(kid, out hit)
            ? hit
            : throw StrongroomException.NotFound($"recipient key '{kid}'");
    }


    /// <summary>destination = condition ? source : destination, without a data-dependent branch.</summary>
    private static void ConditionalCopy(bool condition, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var mask = (byte)-Convert.ToInt32(condition);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)((destination[i] & ~mask) | (source[i] & mask));
        }
    }
}
