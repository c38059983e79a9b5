using System.Text;
using System.Text.Json.Nodes;
using Strongroom.Crypto;

namespace Strongroom.Client;

/// <summary>
/// Operator-signed client registrations (DESIGN §3.3) as storage's RegisterClient checks them: a
/// compact JWS by a pinned operator key, <c>typ: strongroom-client-registration</c>, <c>kid</c> = the
/// operator key's RFC 7638 thumbprint, payload a JSON object with <c>identity</c>, <c>signing_key</c>,
/// <c>sealing_key</c> and optional <c>aliases</c>.
/// </summary>
public static class Registration
{
    public const string Type = "strongroom-client-registration";

    /// <summary>
    /// The payload: <paramref name="signingKey"/> is an authorized_keys line, a sqooler key string or
    /// a JWK JSON object; <paramref name="sealingJwk"/> is the X25519 public JWK.
    /// </summary>
    public static string Payload(string identity, string signingKey, string sealingJwk, IEnumerable<string>? aliases = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(identity);
        ArgumentException.ThrowIfNullOrEmpty(signingKey);
        ArgumentException.ThrowIfNullOrEmpty(sealingJwk);
        var trimmed = signingKey.TrimStart();
        var obj = new JsonObject
        {
            ["identity"] = identity,
            // A JWK goes in as an object, an ssh line or sqooler string as a string: storage reads both.
            ["signing_key"] = trimmed.StartsWith('{') ? JsonNode.Parse(trimmed) : JsonValue.Create(signingKey),
            ["sealing_key"] = JsonNode.Parse(sealingJwk) as JsonObject ?? throw new ArgumentException("sealing key must be a JWK object", nameof(sealingJwk)),
            ["aliases"] = new JsonArray((aliases ?? []).Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
        };
        return obj.ToJsonString();
    }
}

/// <summary>Signs a registration payload as an operator.</summary>
public static class RegistrationJws
{
    public static string Sign(Ed25519KeyPair operatorKey, string payload)
    {
        ArgumentNullException.ThrowIfNull(operatorKey);
        ArgumentException.ThrowIfNullOrEmpty(payload);
        using var jwk = JsonWebKey.FromPublicKey(operatorKey.PublicKey);
        return Jws.SignCompact(operatorKey, jwk.Thumbprint(), Encoding.UTF8.GetBytes(payload), new JsonObject { ["typ"] = Registration.Type });
    }
}
