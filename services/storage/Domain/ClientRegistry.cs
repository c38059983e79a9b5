using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Store;
using static Strongroom.Storage.Domain.KeyLogRules;

namespace Strongroom.Storage.Domain;

/// <summary>
/// Client registrations and revocations (DESIGN §3.3): each needs a JWS by a pinned operator key;
/// a registration's keys, aliases and record are appended together or not at all, and the same
/// signed document again is a retry.
/// </summary>
public sealed class ClientRegistry(IStorageStore store, OperatorDocumentVerifier operatorDocuments, Checkpointer checkpointer, TimeProvider time)
{
    public const string RegistrationType = "strongroom-client-registration";
    public const string RevocationType = "strongroom-client-revocation";

    private long Now => time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>RegisterClient: keys, aliases and the registration, appended together or not at all.</summary>
    public async Task<(string Identity, string SigningKid, string SealingKid, IReadOnlyList<StoredEntry> Entries)> RegisterClientAsync(string registrationJws, CancellationToken ct)
    {
        var document = operatorDocuments.Verify(registrationJws, RegistrationType, "registration_jws");
        var payload = document.Payload;
        var identity = ParseIdentity(Member(payload, "identity"), "identity");
        if (!identity.IsClient)
        {
            throw StrongroomException.InvalidArgument("identity", "must be a client identity");
        }

        var aliases = payload["aliases"] switch
        {
            null => new List<string>(),
            JsonArray a => a.Select(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw StrongroomException.InvalidArgument("aliases", "strings only")).ToList(),
            _ => throw StrongroomException.InvalidArgument("aliases", "must be an array of strings"),
        };
        var (signingJwk, foreignName) = ParseSigningKey(payload["signing_key"]);
        if (foreignName is not null && !aliases.Contains(foreignName))
        {
            // DESIGN §3.3: a foreign name (a sqooler kid) is bound once as an alias of the thumbprint kid.
            aliases.Add(foreignName);
        }

        var sealingJson = payload["sealing_key"] is JsonObject sealingObj ? sealingObj.ToJsonString() : throw StrongroomException.InvalidArgument("sealing_key", "must be a JWK object");
        var (sealingNormalized, sealingKid) = Normalize(sealingJson, KeyKind.ClientSealing, "sealing_key");
        var (signingNormalized, signingKid) = Normalize(signingJwk, KeyKind.ClientSigning, "signing_key");
        var now = Now;
        var owner = identity.ToString();
        KeyLogEntry[] entries;
        try
        {
            entries =
            [
                new KeyPublished { Time = now, Kid = signingKid, JwkJson = signingNormalized, Owner = owner, Kind = KeyKind.ClientSigning, KeyName = "signing", Version = 1 },
                new KeyPublished { Time = now, Kid = sealingKid, JwkJson = sealingNormalized, Owner = owner, Kind = KeyKind.ClientSealing, KeyName = "sealing", Version = 1 },
                .. aliases.Select(a => new AliasBound { Time = now, Alias = a, Kid = signingKid }),
                new ClientRegistered { Time = now, Identity = owner, SigningKid = signingKid, SealingKid = sealingKid, Aliases = aliases, RegistrationJwsDigest = KeyLogEntry.DigestOf(document.Jws) },
            ];
            foreach (var e in entries)
            {
                _ = e.ToCanonicalJson();
            }
        }
        catch (KeyLogFormatException ex)
        {
            throw StrongroomException.InvalidArgument("registration_jws", ex.Message);
        }

        var appended = await store.InLogTransactionAsync(async tx =>
        {
            var existing = await tx.FindKeyAsync(signingKid);
            if (existing is not null && existing.Owner == owner && await tx.FindKeyAsync(sealingKid) is { } sealing && sealing.Owner == owner)
            {
                var history = await tx.GetEntriesNamingAsync(signingKid);
                var registered = history.Where(h => h.Type == ClientRegistered.TypeName).Select(h => (Entry: h, Parsed: (ClientRegistered)KeyLogEntry.Parse(h.EntryJson)))
                    .FirstOrDefault(h => h.Parsed.RegistrationJwsDigest == KeyLogEntry.DigestOf(document.Jws));
                if (registered.Entry is not null)
                {
                    // The same signed registration again: a retry, nothing appended.
                    return (IReadOnlyList<StoredEntry>)history;
                }
            }

            var list = new List<StoredEntry>();
            foreach (var e in entries)
            {
                switch (e)
                {
                    case KeyPublished p:
                        if (await tx.FindKeyAsync(p.Kid) is not null || await tx.FindKidByAliasAsync(p.Kid) is not null)
                        {
                            throw StrongroomException.AlreadyExists($"kid {p.Kid}");
                        }

                        break;
                    case AliasBound a:
                        if (await tx.FindKidByAliasAsync(a.Alias) is not null || await tx.FindKeyAsync(a.Alias) is not null)
                        {
                            throw StrongroomException.AlreadyExists($"alias {a.Alias}");
                        }

                        break;
                }

                list.Add(await tx.AppendAsync(ToNew(e)));
            }

            return list;
        }, ct);
        await checkpointer.TryCheckpointAsync(ct);
        return (owner, signingKid, sealingKid, appended);
    }

    /// <summary>RevokeClientKey: an operator-signed revocation of keys the named client owns.</summary>
    public async Task<StoredEntry> RevokeClientKeyAsync(string revocationJws, CancellationToken ct)
    {
        var document = operatorDocuments.Verify(revocationJws, RevocationType, "revocation_jws");
        var identity = ParseIdentity(Member(document.Payload, "identity"), "identity");
        var kids = document.Payload["kids"] is JsonArray array
            ? array.Select(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw StrongroomException.InvalidArgument("kids", "strings only")).ToList()
            : throw StrongroomException.InvalidArgument("kids", "must be an array of kids");
        ClientKeysRevoked entry;
        try
        {
            entry = new ClientKeysRevoked { Time = Now, Identity = identity.ToString(), RevokedKids = kids, RevocationJwsDigest = KeyLogEntry.DigestOf(document.Jws) };
            _ = entry.ToCanonicalJson();
        }
        catch (KeyLogFormatException ex)
        {
            throw StrongroomException.InvalidArgument("revocation_jws", ex.Message);
        }

        var appended = await store.InLogTransactionAsync(async tx =>
        {
            foreach (var kid in kids)
            {
                var key = await tx.FindKeyAsync(kid) ?? throw StrongroomException.NotFound($"kid {kid}");
                if (key.Owner != entry.Identity)
                {
                    throw StrongroomException.InvalidArgument("kids", $"{kid} is not owned by {entry.Identity}");
                }

                if (KeyStateOf(await tx.GetEntriesNamingAsync(kid)) == KeyState.Revoked)
                {
                    throw StrongroomException.FailedPrecondition($"kid {kid} is already revoked");
                }
            }

            return await tx.AppendAsync(ToNew(entry));
        }, ct);
        await checkpointer.TryCheckpointAsync(ct);
        return appended;
    }

    /// <summary>A client signing key given as a JWK object, an ssh-ed25519 authorized_keys line or a sqooler key string.</summary>
    private static (string Json, string? ForeignName) ParseSigningKey(JsonNode? node)
    {
        try
        {
            switch (node)
            {
                case JsonObject obj:
                    {
                        using var jwk = JsonWebKey.Parse(obj.ToJsonString());
                        return (obj.ToJsonString(), ForeignKid(jwk));
                    }

                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    var text = v.GetValue<string>().Trim();
                    if (text.StartsWith("ssh-ed25519 ", StringComparison.Ordinal))
                    {
                        var parsed = OpenSsh.ParseAuthorizedKey(text);
                        using var sshJwk = JsonWebKey.FromPublicKey(parsed.Key);
                        return (sshJwk.ToJson(), null);
                    }

                    // sqooler: base64url (padding optional) of the JWK's JSON; padded x/d allowed.
                    if (!StrictBase64.TryDecodeUrlOptionalPadding(text, out var bytes))
                    {
                        throw StrongroomException.InvalidArgument("signing_key", "not a JWK, an ssh-ed25519 line or a sqooler key string");
                    }

                    using (var sqooler = JsonWebKey.Parse(bytes, JwkParseMode.SqoolerCompat))
                    {
                        if (sqooler.HasPrivateKey)
                        {
                            throw StrongroomException.InvalidArgument("signing_key", "private key material is never published");
                        }

                        using var clean = JsonWebKey.FromPublicKey(sqooler.ToEd25519PublicKey());
                        return (clean.ToJson(), ForeignKid(sqooler));
                    }

                default:
                    throw StrongroomException.InvalidArgument("signing_key", "missing");
            }
        }
        catch (CryptoException)
        {
            throw StrongroomException.InvalidArgument("signing_key", "not a valid Ed25519 public key");
        }
    }

    private static string? ForeignKid(JsonWebKey jwk) =>
        jwk.Kid is { } kid && !string.Equals(kid, jwk.Thumbprint(), StringComparison.Ordinal) ? kid : null;

    private static string Member(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw StrongroomException.InvalidArgument(name, "missing");
}
