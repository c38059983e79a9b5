using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Storage.Domain;

/// <summary>An operator-signed request's verified payload.</summary>
internal sealed record OperatorDocument(JsonObject Payload, string Jws);

/// <summary>
/// Checks operator-signed documents (registrations, revocations): a compact JWS by one of the
/// pinned operator keys (Storage:OperatorKeys), of the expected typ, over a JSON object.
/// The keys are loaded on construction, so a bad one stops storage at start.
/// </summary>
public sealed class OperatorDocumentVerifier(StorageOptions options)
{
    private readonly Dictionary<string, Ed25519PublicKey> _operatorKeys = LoadOperatorKeys(options.OperatorKeys);

    private static Dictionary<string, Ed25519PublicKey> LoadOperatorKeys(IEnumerable<string> jwks)
    {
        var keys = new Dictionary<string, Ed25519PublicKey>(StringComparer.Ordinal);
        foreach (var json in jwks)
        {
            using var jwk = JsonWebKey.Parse(json);
            if (jwk.KeyType != JwkKeyType.Ed25519 || jwk.HasPrivateKey)
            {
                throw new InvalidOperationException("Storage:OperatorKeys must be public Ed25519 JWKs");
            }

            // Found by thumbprint, and by the JWK's own kid when it has one.
            keys[jwk.Thumbprint()] = jwk.ToEd25519PublicKey();
            if (jwk.Kid is { } kid)
            {
                keys[kid] = jwk.ToEd25519PublicKey();
            }
        }

        return keys;
    }

    internal OperatorDocument Verify(string jws, string type, string field)
    {
        if (string.IsNullOrEmpty(jws) || jws.Length > 64 * 1024)
        {
            throw StrongroomException.InvalidArgument(field, "missing or too large");
        }

        var result = Jws.VerifyCompact(jws, kid => kid is not null && _operatorKeys.TryGetValue(kid, out var key) ? key : null);
        if (result.Status is JwsVerificationStatus.Malformed)
        {
            throw StrongroomException.InvalidArgument(field, "not a compact JWS");
        }

        if (!result.IsValid)
        {
            // Anything not signed by a pinned operator key is refused, whoever sent it.
            throw StrongroomException.PermissionDenied($"{field} is not signed by a pinned operator key ({result.Reason})");
        }

        if (!result.ProtectedHeader!.Value.TryGetProperty("typ", out var typ) || typ.ValueKind != JsonValueKind.String || typ.GetString() != type)
        {
            throw StrongroomException.InvalidArgument(field, $"typ must be {type}");
        }

        var payload = CanonicalPayload(result.Payload!, field);
        return new OperatorDocument(payload, jws);
    }

    private static JsonObject CanonicalPayload(byte[] payload, string field)
    {
        try
        {
            return JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 8 }) as JsonObject
                ?? throw StrongroomException.InvalidArgument(field, "payload must be a JSON object");
        }
        catch (JsonException)
        {
            throw StrongroomException.InvalidArgument(field, "payload must be a JSON object");
        }
    }

}
