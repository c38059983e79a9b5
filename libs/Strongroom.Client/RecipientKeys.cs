using System.Security.Cryptography;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using KeyServiceApi = Strongroom.KeyService.V1;

namespace Strongroom.Client;

/// <summary>keyservice's public-key read, behind an interface for tests.</summary>
public interface IPublicKeySource
{
    /// <summary>Version 0 is the primary version.</summary>
    Task<KeyServiceApi.PublicKey> GetPublicKeyAsync(string keyName, uint version, CancellationToken cancellationToken);
}

/// <summary><see cref="IPublicKeySource"/> over keyservice's gRPC API (through the edge).</summary>
public sealed class GrpcPublicKeySource(KeyServiceApi.KeyService.KeyServiceClient keyService) : IPublicKeySource
{
    public async Task<KeyServiceApi.PublicKey> GetPublicKeyAsync(string keyName, uint version, CancellationToken cancellationToken) =>
        (await keyService.GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = keyName, Version = version }, cancellationToken: cancellationToken)).PublicKey
        ?? throw new KeyLogVerificationException($"keyservice answered no public key for {keyName}");
}

/// <summary>The runner's X25519 request key, checked against the key log.</summary>
public sealed record RecipientKey(string Kid, X25519PublicKey PublicKey, ReplayedKey Log);

/// <summary>The runner's RSA-4096 StudioML key, checked against the key log. Dispose releases the RSA object.</summary>
public sealed record StudioMlRecipientKey(string Kid, RSA PublicKey, ReplayedKey Log) : IDisposable
{
    public void Dispose() => PublicKey.Dispose();
}

/// <summary>
/// Fetches the key a request is sealed to: keyservice says which key it uses; the key log, under the
/// pinned checkpoint, must have published exactly that key as keyservice's, of the right kind, and
/// it must still be enabled. keyservice (or the edge) alone cannot hand the client a key of its choosing.
/// </summary>
public static class RecipientKeys
{
    public const string DefaultRequestKeyName = "requests";
    public const string DefaultStudioMlKeyName = "studioml";

    public static async Task<RecipientKey> FetchRecipientKeyAsync(IPublicKeySource keyService, PinnedLog log, string keyName = DefaultRequestKeyName, uint version = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyService);
        ArgumentNullException.ThrowIfNull(log);
        var answered = await keyService.GetPublicKeyAsync(keyName, version, cancellationToken);
        using var jwk = ParseJwk(answered, keyName);
        if (jwk.KeyType != JwkKeyType.X25519)
        {
            throw new KeyLogVerificationException($"keyservice key {keyName} is not an X25519 key");
        }

        var logged = await CheckAgainstLogAsync(log, jwk, answered.Kid, KeyKind.RequestDecryption, keyName, cancellationToken);
        return new RecipientKey(logged.Kid, jwk.ToX25519PublicKey(), logged);
    }

    /// <summary>The StudioML RSA key; keyservice's PKCS#1 PEM, when given, must be the same key as its JWK.</summary>
    public static async Task<StudioMlRecipientKey> FetchStudioMlKeyAsync(IPublicKeySource keyService, PinnedLog log, string keyName = DefaultStudioMlKeyName, uint version = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyService);
        ArgumentNullException.ThrowIfNull(log);
        var answered = await keyService.GetPublicKeyAsync(keyName, version, cancellationToken);
        using var jwk = ParseJwk(answered, keyName);
        if (jwk.KeyType != JwkKeyType.Rsa)
        {
            throw new KeyLogVerificationException($"keyservice key {keyName} is not an RSA key");
        }

        var logged = await CheckAgainstLogAsync(log, jwk, answered.Kid, KeyKind.StudioMlDecryption, keyName, cancellationToken);
        var rsa = jwk.ToRsaPublicKey();
        if (!string.IsNullOrEmpty(answered.Pkcs1Pem))
        {
            using var pem = RSA.Create();
            pem.ImportFromPem(answered.Pkcs1Pem);
            using var pemJwk = JsonWebKey.FromPublicKey(pem);
            if (pemJwk.Thumbprint() != logged.Kid)
            {
                rsa.Dispose();
                throw new KeyLogVerificationException($"keyservice's PEM for {keyName} is not the key its JWK and the key log name");
            }
        }

        return new StudioMlRecipientKey(logged.Kid, rsa, logged);
    }

    private static JsonWebKey ParseJwk(KeyServiceApi.PublicKey answered, string keyName)
    {
        try
        {
            return JsonWebKey.Parse(answered.JwkJson);
        }
        catch (CryptoException ex)
        {
            throw new KeyLogVerificationException($"keyservice's JWK for {keyName} does not parse", ex);
        }
    }

    private static async Task<ReplayedKey> CheckAgainstLogAsync(PinnedLog log, JsonWebKey jwk, string answeredKid, KeyKind kind, string keyName, CancellationToken cancellationToken)
    {
        // The kid is recomputed, never taken from keyservice's answer.
        var kid = jwk.Thumbprint();
        if (!string.Equals(kid, answeredKid, StringComparison.Ordinal))
        {
            throw new KeyLogVerificationException($"keyservice named key {keyName} {answeredKid}, but its JWK's thumbprint is {kid}");
        }

        var logged = await log.VerifyKeyAsync(kid, cancellationToken)
            ?? throw new KeyLogVerificationException($"key {kid} ({keyName}) is not in the key log: do not send requests to it");
        using var loggedJwk = JsonWebKey.Parse(logged.JwkJson);
        if (loggedJwk.Thumbprint() != kid)
        {
            throw new KeyLogVerificationException($"the key log's key {kid} is other material");
        }

        if (logged.Kind != kind)
        {
            throw new KeyLogVerificationException($"key {kid} is a {KeyLogEntry.Snake(logged.Kind)} key in the key log, not {KeyLogEntry.Snake(kind)}");
        }

        if (logged.Owner != WorkloadIdentity.KeyService.ToString())
        {
            throw new KeyLogVerificationException($"key {kid} is published by {logged.Owner}, not keyservice");
        }

        if (logged.State != KeyState.Enabled)
        {
            throw new KeyLogVerificationException($"key {kid} is {KeyLogEntry.Snake(logged.State)} in the key log: requests sealed to it would be refused");
        }

        return logged;
    }
}
