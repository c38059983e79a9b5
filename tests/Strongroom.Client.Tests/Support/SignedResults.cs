using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Requests;
using Api = Strongroom.Storage.V1;

namespace Strongroom.Client.Tests.Support;

/// <summary>Makes stored results as the runner and signer would: output sealed, document signed as a JWS with typ, runner and iat.</summary>
public static class SignedResults
{
    public const string Alice = "spiffe://strongroom/client/alice";
    public const string RunnerIdentity = "spiffe://strongroom/runner";
    public const string SignerIdentity = "spiffe://strongroom/signer";

    public static string Kid(Ed25519PublicKey key)
    {
        using var jwk = JsonWebKey.FromPublicKey(key);
        return jwk.Thumbprint();
    }

    public static string Kid(X25519PublicKey key)
    {
        using var jwk = JsonWebKey.FromPublicKey(key);
        return jwk.Thumbprint();
    }

    /// <summary>The key log's view of a result-signing key of the signer.</summary>
    public static ReplayedKey Logged(Ed25519PublicKey key, KeyState state = KeyState.Enabled, long? destroyedAt = null, KeyKind kind = KeyKind.ResultSigning)
    {
        using var jwk = JsonWebKey.FromPublicKey(key);
        var (json, kid) = KeyPublished.NormalizeJwk(jwk);
        return new ReplayedKey(kid, SignerIdentity, kind, json, "results", 1, state, 1_700_000_000, destroyedAt, true);
    }

    public static ResultDocument Document(string jobId, byte[] requestSha256, byte[] storedOutput, string sealedToKid, string owner = Alice) => new()
    {
        JobId = jobId,
        Owner = owner,
        JobName = "train",
        Format = "strongroom",
        RequestSha256 = requestSha256,
        OutputSha256 = SHA256.HashData(storedOutput),
        OutputSize = storedOutput.Length,
        SealedToKid = sealedToKid,
        OutputTruncated = false,
        TimedOut = false,
        ExitCode = 0,
        SubmittedAt = 1_800_000_000,
        StartedAt = 1_800_000_001,
        FinishedAt = 1_800_000_002,
    };

    public static string Sign(Ed25519KeyPair key, ResultDocument document, string typ = "strongroom-result", long? iat = null, string? kid = null) =>
        Jws.SignCompact(key, kid ?? Kid(key.PublicKey), document.ToJsonBytes(), new JsonObject
        {
            ["typ"] = typ,
            ["runner"] = RunnerIdentity,
            ["iat"] = iat ?? 1_800_000_003,
        });

    /// <summary>A stored result: <paramref name="output"/> sealed to <paramref name="sealTo"/>, the document naming what is stored.</summary>
    public static Api.Result Stored(Ed25519KeyPair signer, string jobId, byte[] requestSha256, byte[] output, X25519PublicKey sealTo, string typ = "strongroom-result", long? iat = null)
    {
        var sealedOutput = ResultSealing.Seal(sealTo, jobId, output);
        var sealedToKid = Kid(sealTo);
        var document = Document(jobId, requestSha256, sealedOutput.Ciphertext, sealedToKid);
        return new Api.Result
        {
            JobId = jobId,
            OwnerIdentity = Alice,
            RunnerIdentity = RunnerIdentity,
            SignedResult = Sign(signer, document, typ, iat),
            Output = ByteString.CopyFrom(sealedOutput.Ciphertext),
            OutputEnc = ByteString.CopyFrom(sealedOutput.EncapsulatedKey),
            SealedToKid = sealedToKid,
            StoreTime = 1_800_000_004,
        };
    }
}
