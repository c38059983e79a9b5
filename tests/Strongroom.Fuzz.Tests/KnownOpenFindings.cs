using Strongroom.Fuzz;

namespace Strongroom.Fuzz.Tests;

/// <summary>
/// Crashes the fuzzer found in code this suite does not own, reported and not yet fixed. Their
/// inputs are in fuzz/regressions/&lt;target&gt;/. A test that meets only these is skipped with the reason
/// (and under CI=true scripts/test.sh counts a skip as a problem, so they stay visible); any other
/// crash fails. When a fix lands, delete the entry: the regressions then must replay clean.
/// </summary>
internal static class KnownOpenFindings
{
    private sealed record Finding(string Target, Type Exception, string Frame, string Reason);

    private static readonly Finding[] Open =
    [
        new("studioml", typeof(InvalidOperationException), "Strongroom.Runner.Domain.RequestIntake.",
            "services/runner RequestIntake.ParseStudioMl: a lone-surrogate escape (\"\\ud800\") in a member value (Member -> JsonElement.GetString) or a member name (JsonDocument.Parse's duplicate check) throws InvalidOperationException; only JsonException is caught"),
        new("result", typeof(InvalidOperationException), "Strongroom.Requests.ResultDocument.",
            "libs/Strongroom.Requests ResultDocument.Parse: a member name with invalid UTF-8 or a lone-surrogate escape throws InvalidOperationException (JsonDocument.Parse's duplicate check, JsonProperty.Name), not FormatException"),
        new("jws", typeof(InvalidOperationException), "Strongroom.Crypto.",
            "libs/Strongroom.Crypto Jws.VerifyFlattened / StrictJson.TryParseObject: a lone-surrogate escape in a member name or in protected/payload/signature throws InvalidOperationException instead of a Malformed result"),
        new("jwk", typeof(InvalidOperationException), "Strongroom.Crypto.",
            "libs/Strongroom.Crypto JsonWebKey.Parse (OptionalString, FromElement's d, StrictJson.TryParseObject): a lone-surrogate escape throws InvalidOperationException instead of CryptoException"),
        new("sqooler", typeof(InvalidOperationException), "Strongroom.Crypto.",
            "libs/Strongroom.Crypto SqoolerSignedResult.Verify / PythonJson.ParseDocument: a lone-surrogate escape in a member name or the signature throws InvalidOperationException instead of a Malformed result"),
        new("pem", typeof(Org.BouncyCastle.Crypto.DataLengthException), "Strongroom.Cli.Operator.LegacyPem.ReadRsaPrivateKeyPkcs8",
            "tools/Strongroom.Cli LegacyPem.ReadRsaPrivateKeyPkcs8: an encrypted PEM body whose length is not a whole number of cipher blocks makes BouncyCastle throw DataLengthException (a CryptoException of BouncyCastle's, not System.Security.Cryptography's), which the catch filter does not list"),
        new("pem", typeof(IndexOutOfRangeException), "Org.BouncyCastle.Utilities.Encoders.HexEncoder.DecodeString",
            "tools/Strongroom.Cli LegacyPem.ReadRsaPrivateKeyPkcs8: a non-ASCII character in the DEK-Info IV makes BouncyCastle's HexEncoder index past its table (IndexOutOfRangeException), which the catch filter does not list (found by AFL++)"),
        new("kms", typeof(InvalidOperationException), "Google.Protobuf.ParsingPrimitivesMessages.SkipLastField",
            "Google.Protobuf 3.36.2 (third party): a truncated google.protobuf.Int64Value (EncryptRequest.plaintext_crc32c) makes MessageParser.ParseFrom throw InvalidOperationException (\"SkipLastField cannot be called at the end of a stream\"), not InvalidProtocolBufferException; the kms service gets it from gRPC's request deserializer"),
    ];

    /// <summary>The reason when <paramref name="outcome"/> is a known, reported, unfixed crash; null otherwise.</summary>
    public static string? Match(FuzzOutcome outcome)
    {
        if (!outcome.IsCrash)
        {
            return null;
        }

        string trace = outcome.Crash!.ToString();
        return Open.FirstOrDefault(f => f.Target == outcome.Target && f.Exception == outcome.Crash.GetType() && trace.Contains(f.Frame, StringComparison.Ordinal))?.Reason;
    }
}
