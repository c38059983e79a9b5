using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Crypto;

namespace Strongroom.Requests;

/// <summary>
/// The document the signer signs for every job that ran (DESIGN §3.4): which job, the digest of the
/// request exactly as sent (its ciphertext), the digest of the output exactly as stored (the HPKE
/// ciphertext when sealed), the exit status and the times. The runner and the signer's identity are
/// in the JWS protected header, set by the signer. Written as RFC 8785 canonical JSON so any
/// verifier can recompute it; read strictly (exactly these members, no others).
/// </summary>
public sealed record ResultDocument
{
    /// <summary>Document version; 1 for this layout.</summary>
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public required string JobId { get; init; }

    /// <summary>The requesting client's identity, which owns the result.</summary>
    public required string Owner { get; init; }

    public required string JobName { get; init; }

    /// <summary>"studioml" or "strongroom".</summary>
    public required string Format { get; init; }

    /// <summary>SHA-256 of the request as sent: the StudioML message bytes, or the serialized Envelope.</summary>
    public required byte[] RequestSha256 { get; init; }

    /// <summary>SHA-256 of the output as stored (ciphertext when sealed).</summary>
    public required byte[] OutputSha256 { get; init; }

    public required long OutputSize { get; init; }

    /// <summary>The client sealing kid the output is sealed to; empty for a clear output.</summary>
    public required string SealedToKid { get; init; }

    /// <summary>True when the job printed more than its cap and the output was cut.</summary>
    public required bool OutputTruncated { get; init; }

    /// <summary>True when the job ran past its timeout and was killed.</summary>
    public required bool TimedOut { get; init; }

    public required int ExitCode { get; init; }

    /// <summary>Unix seconds.</summary>
    public required long SubmittedAt { get; init; }

    public required long StartedAt { get; init; }

    public required long FinishedAt { get; init; }

    /// <summary>"succeeded" when the job exited 0 within its limits, else "failed".</summary>
    public string Status => ExitCode == 0 && !TimedOut && !OutputTruncated ? "succeeded" : "failed";

    public static byte[] Digest(ReadOnlySpan<byte> bytes) => SHA256.HashData(bytes);

    /// <summary>Canonical JSON (RFC 8785: members sorted, no whitespace), UTF-8.</summary>
    public byte[] ToJsonBytes()
    {
        var obj = new JsonObject
        {
            ["exit_code"] = ExitCode,
            ["finished_at"] = FinishedAt,
            ["format"] = Format,
            ["job_id"] = JobId,
            ["job_name"] = JobName,
            ["output_sha256"] = StrictBase64.EncodeUrl(OutputSha256),
            ["output_size"] = OutputSize,
            ["output_truncated"] = OutputTruncated,
            ["owner"] = Owner,
            ["request_sha256"] = StrictBase64.EncodeUrl(RequestSha256),
            ["sealed_to_kid"] = SealedToKid,
            ["started_at"] = StartedAt,
            ["status"] = Status,
            ["submitted_at"] = SubmittedAt,
            ["timed_out"] = TimedOut,
            ["version"] = Version,
        };
        return Encoding.UTF8.GetBytes(obj.ToJsonString());
    }

    private static readonly string[] Members =
    [
        "exit_code", "finished_at", "format", "job_id", "job_name", "output_sha256", "output_size", "output_truncated",
        "owner", "request_sha256", "sealed_to_kid", "started_at", "status", "submitted_at", "timed_out", "version",
    ];

    /// <summary>Reads a document strictly; <see cref="FormatException"/> (no input echoed) when it is not one.</summary>
    public static ResultDocument Parse(ReadOnlySpan<byte> utf8)
    {
        var json = System.Text.Unicode.Utf8.IsValid(utf8)
            ? JsonStrings.TryParse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 4, AllowDuplicateProperties = false })
            : null;
        if (json is null)
        {
            throw new FormatException("the result document is not JSON (or holds a string that cannot be read)");
        }

        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the result document is not a JSON object");
            }

            var names = root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
            if (!names.SequenceEqual(Members))
            {
                throw new FormatException("the result document does not have exactly the version-1 members");
            }

            ResultDocument document;
            try
            {
                document = Read(root);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new FormatException("a result document member has the wrong type");
            }

            if (document.Version != CurrentVersion || Str(root, "status") != document.Status)
            {
                throw new FormatException("the result document's version or status is inconsistent");
            }

            return document;
        }
    }

    private static ResultDocument Read(JsonElement root) =>
            new()
            {
                Version = root.GetProperty("version").GetInt32(),
                JobId = Str(root, "job_id"),
                Owner = Str(root, "owner"),
                JobName = Str(root, "job_name"),
                Format = Str(root, "format"),
                RequestSha256 = Digest(root, "request_sha256"),
                OutputSha256 = Digest(root, "output_sha256"),
                OutputSize = root.GetProperty("output_size").GetInt64(),
                SealedToKid = Str(root, "sealed_to_kid"),
                OutputTruncated = root.GetProperty("output_truncated").GetBoolean(),
                TimedOut = root.GetProperty("timed_out").GetBoolean(),
                ExitCode = root.GetProperty("exit_code").GetInt32(),
                SubmittedAt = root.GetProperty("submitted_at").GetInt64(),
                StartedAt = root.GetProperty("started_at").GetInt64(),
                FinishedAt = root.GetProperty("finished_at").GetInt64(),
            };

    private static string Str(JsonElement root, string name)
    {
        var value = root.GetProperty(name);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new FormatException($"'{name}' must be a string");
    }

    private static byte[] Digest(JsonElement root, string name)
    {
        var text = Str(root, name);
        return StrictBase64.TryDecodeUrl(text, out var bytes) && bytes.Length == 32
            ? bytes
            : throw new FormatException($"'{name}' must be the base64url of 32 bytes");
    }
}

/// <summary>The request digests a result document names: of the request exactly as the client sent it.</summary>
public static class RequestDigest
{
    /// <summary>StudioML: SHA-256 of the queue-message bytes as received.</summary>
    public static byte[] OfStudioMl(ReadOnlySpan<byte> message) => SHA256.HashData(message);

    /// <summary>
    /// Strongroom envelope: SHA-256 of its signed bytes followed by the signature — every byte the
    /// client produced, independent of how a protobuf encoder laid out the Envelope message.
    /// </summary>
    public static byte[] OfEnvelope(Strongroom.Runner.V1.Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(StrongroomEnvelope.SignedBytes(envelope.Header.Span, envelope.Enc.Span, envelope.Ct.Span));
        hash.AppendData(envelope.Signature.Span);
        return hash.GetHashAndReset();
    }
}
