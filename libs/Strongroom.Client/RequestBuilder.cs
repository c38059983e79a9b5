using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Strongroom.Crypto;
using Strongroom.Requests;
using Strongroom.Runner.V1;

namespace Strongroom.Client;

/// <summary>A Strongroom envelope ready to submit, with what the client keeps to check the result.</summary>
/// <param name="RequestId">The 16-byte random request id in the header.</param>
/// <param name="RequestSha256">RequestDigest.OfEnvelope: the result document must name exactly this.</param>
public sealed record BuiltEnvelope(Envelope Envelope, byte[] RequestId, byte[] RequestSha256);

/// <summary>StudioML queue-message fields outside the signed payload (DESIGN §3.1: ignored for every decision, kept for compatibility).</summary>
public sealed record StudioMlOptions
{
    /// <summary>The experiment key; written as <c>experiment.key</c> when set.</summary>
    public string? ExperimentKey { get; init; }

    public string PythonVersion { get; init; } = "3.11";

    /// <summary>StudioML's lifetime string, e.g. "30m".</summary>
    public string Lifetime { get; init; } = "30m";

    /// <summary><c>resources_needed</c>; StudioML's defaults when null.</summary>
    public JsonObject? Resources { get; init; }

    /// <summary>Signature S in the SSH wire form (83 bytes) instead of the raw 64 bytes.</summary>
    public bool SshWireSignature { get; init; }

    /// <summary>time_added; now when null.</summary>
    public DateTimeOffset? TimeAdded { get; init; }
}

/// <summary>Builds the two request formats a client sends (DESIGN §3.1, §3.2).</summary>
public static class RequestBuilder
{
    /// <summary>Longest lifetime of a Strongroom request (the verifier refuses more).</summary>
    public static TimeSpan MaxLifetime => RequestVerifier.MaxLifetime;

    public const int RequestIdSize = 16;

    /// <summary>
    /// A signed HPKE request: header (deterministic protobuf, the AAD), HPKE seal of
    /// <paramref name="input"/> to <paramref name="recipient"/> with info "strongroom/request/v1",
    /// and the client's Ed25519 signature over every field.
    /// </summary>
    public static BuiltEnvelope BuildStrongroom(
        Ed25519KeyPair signingKey,
        string signingKid,
        X25519PublicKey recipient,
        string recipientKid,
        string clientIdentity,
        string jobName,
        string resultKid,
        ReadOnlySpan<byte> input,
        DateTimeOffset now,
        TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentException.ThrowIfNullOrEmpty(signingKid);
        ArgumentException.ThrowIfNullOrEmpty(recipientKid);
        ArgumentException.ThrowIfNullOrEmpty(clientIdentity);
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        ArgumentException.ThrowIfNullOrEmpty(resultKid);
        // Whole seconds: the header carries Unix seconds, so a sub-second lifetime would round to nothing.
        if (lifetime < TimeSpan.FromSeconds(1) || lifetime > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "a request lives between 1 second and 15 minutes");
        }

        var requestId = RandomNumberGenerator.GetBytes(RequestIdSize);
        var created = now.ToUnixTimeSeconds();
        var header = EnvelopeHeader.Serialize(new Header
        {
            Version = 1,
            RecipientKid = recipientKid,
            SigningKid = signingKid,
            ClientIdentity = clientIdentity,
            RequestId = ByteString.CopyFrom(requestId),
            JobName = jobName,
            CreatedAt = created,
            ExpiresAt = created + (long)lifetime.TotalSeconds,
            ResultKid = resultKid,
        });
        var sealedInput = Hpke.Seal(recipient, Hpke.RequestInfo, header.Span, input);
        var signature = StrongroomEnvelope.Sign(signingKey, header.Span, sealedInput.EncapsulatedKey, sealedInput.Ciphertext);
        var envelope = new Envelope
        {
            Header = header,
            Enc = ByteString.CopyFrom(sealedInput.EncapsulatedKey),
            Ct = ByteString.CopyFrom(sealedInput.Ciphertext),
            Signature = ByteString.CopyFrom(signature),
        };
        return new BuiltEnvelope(envelope, requestId, RequestDigest.OfEnvelope(envelope));
    }

    /// <summary>
    /// The StudioML queue message, laid out as StudioML writes it:
    /// <c>{"message": {"experiment", "time_added", "experiment_lifetime", "resources_needed", "payload", "fingerprint", "signature"}}</c>
    /// with P sealed to <paramref name="runnerPublicKey"/>, F the signing key's OpenSSH fingerprint and
    /// S its signature over P. The digest to keep is <c>RequestDigest.OfStudioMl</c> of the returned bytes.
    /// </summary>
    public static byte[] BuildStudioMl(RSA runnerPublicKey, Ed25519KeyPair signingKey, ReadOnlySpan<byte> requestJson, StudioMlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runnerPublicKey);
        ArgumentNullException.ThrowIfNull(signingKey);
        options ??= new StudioMlOptions();
        var payload = StudioMlPayload.Seal(runnerPublicKey, requestJson);
        var signature = StudioMlPayload.SignPayload(signingKey, payload, options.SshWireSignature);
        var timeAdded = (options.TimeAdded ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() / 1000.0;

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("message");
            writer.WriteStartObject("experiment");
            if (options.ExperimentKey is { } key)
            {
                writer.WriteString("key", key);
            }

            writer.WriteString("status", "waiting");
            writer.WriteString("pythonver", options.PythonVersion);
            writer.WriteEndObject();
            // Python's time.time() is a float: always written with a fraction so a reader sees a float.
            writer.WritePropertyName("time_added");
            writer.WriteRawValue(timeAdded.ToString("0.0##", CultureInfo.InvariantCulture));
            writer.WriteString("experiment_lifetime", options.Lifetime);
            writer.WritePropertyName("resources_needed");
            (options.Resources ?? DefaultResources()).WriteTo(writer);
            writer.WriteString("payload", payload);
            writer.WriteString("fingerprint", OpenSsh.Fingerprint(signingKey.PublicKey));
            writer.WriteString("signature", signature);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static JsonObject DefaultResources() => new()
    {
        ["cpus"] = 1,
        ["gpus"] = 0,
        ["hdd"] = "3gb",
        ["ram"] = "2gb",
        ["gpuMem"] = "0gb",
    };
}
