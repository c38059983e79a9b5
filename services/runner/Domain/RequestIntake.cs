using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Requests;
using Strongroom.Runner.Queue;
using Strongroom.Runner.V1;

namespace Strongroom.Runner.Domain;

/// <summary>
/// Submit (DESIGN §3.1, §3.2, §6): parse → client key from the key log → signature → recipient,
/// job and sealing key → replay/expiry → persist exactly as received, all before anything is
/// decrypted (the runner cannot decrypt anyway). Every refusal names its reason; nothing is queued.
/// </summary>
public sealed class RequestIntake(
    RunnerOptions options,
    RequestVerifier verifier,
    IClientKeyDirectory clients,
    IRequestKeyDirectory serviceKeys,
    SqlJobQueue queue,
    JobSignal signal,
    TimeProvider time)
{
    /// <summary>StudioML replay keys are kept for as long as the runner keeps its queue (DESIGN: until every version enabled at acceptance is disabled, which the runner cannot observe cheaply).</summary>
    private const long KeepForever = long.MaxValue;

    public async Task<JobRecord> SubmitStudioMlAsync(ByteString message, string clientIdentity, CancellationToken cancellationToken)
    {
        CheckSize(message.Length, "studioml_message");
        var (payload, fingerprint, signature) = ParseStudioMl(message.Span);
        var shape = StudioMlPayload.TryParse(payload, out _);
        if (shape != StudioMlPayloadError.None)
        {
            throw StrongroomException.InvalidArgument("studioml_message.message.payload", StudioMlPayload.Describe(shape));
        }

        var owner = await verifier.VerifyStudioMlAsync(payload, fingerprint, signature, clientIdentity, cancellationToken);
        var signingKey = await clients.FindAsync(null, fingerprint, cancellationToken)
            ?? throw StrongroomException.NotFound("client signing key");
        var sealingKid = signingKey.SealingKid
            ?? throw StrongroomException.FailedPrecondition("the client's registration names no sealing key for results");
        await RequireSealingKeyAsync(sealingKid, owner, cancellationToken);
        var jobName = options.StudioMlJob;
        if (!options.Jobs.ContainsKey(jobName))
        {
            throw StrongroomException.FailedPrecondition("this runner has no StudioML job configured");
        }

        var replayKey = Concat("studioml\0"u8, StudioMlPayload.ReplayDigest(payload));
        var job = NewRecord(owner, jobName, RequestFormat.Studioml, message.ToByteArray(), RequestDigest.OfStudioMl(message.Span), sealingKid);
        return await EnqueueAsync(new NewJob(job, replayKey, KeepForever), cancellationToken);
    }

    public async Task<JobRecord> SubmitStrongroomAsync(Envelope envelope, string clientIdentity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        CheckSize(envelope.CalculateSize(), "envelope");
        var header = EnvelopeHeader.Parse(envelope.Header);
        if (envelope.Enc.Length != Hpke.EncapsulatedKeySize)
        {
            throw StrongroomException.InvalidArgument("envelope.enc", $"must be {Hpke.EncapsulatedKeySize} bytes");
        }

        if (envelope.Ct.Length < Aead.TagSize)
        {
            throw StrongroomException.InvalidArgument("envelope.ct", "shorter than an AEAD tag");
        }

        // Version, 15-minute window, ±60 s skew, identity binding, signing key from the log, signature.
        var owner = await verifier.VerifyStrongroomAsync(envelope, header, clientIdentity, cancellationToken);
        if (!options.Jobs.ContainsKey(header.JobName))
        {
            throw StrongroomException.InvalidArgument("envelope.header.job_name", $"no job named '{Printable(header.JobName)}' is configured on this runner");
        }

        await serviceKeys.RequireRequestKeyAsync(header.RecipientKid, cancellationToken);
        await RequireSealingKeyAsync(header.ResultKid, owner, cancellationToken);
        var replayKey = Concat(Encoding.UTF8.GetBytes("strongroom\0" + header.ClientIdentity + "\0"), header.RequestId.Span);
        var keepUntil = header.ExpiresAt + (long)RequestVerifier.Skew.TotalSeconds;
        var job = NewRecord(owner, header.JobName, RequestFormat.Strongroom, envelope.ToByteArray(), RequestDigest.OfEnvelope(envelope), header.ResultKid);
        return await EnqueueAsync(new NewJob(job, replayKey, keepUntil), cancellationToken);
    }

    private async Task<JobRecord> EnqueueAsync(NewJob job, CancellationToken cancellationToken)
    {
        var outcome = await queue.EnqueueAsync(job, options.MaxActiveJobs, time.GetUtcNow().ToUnixTimeSeconds(), cancellationToken);
        switch (outcome)
        {
            case EnqueueOutcome.Replayed:
                throw new StrongroomException(ErrorKind.AlreadyExists, "this request was already accepted (a replay); send a new request");
            case EnqueueOutcome.QueueFull:
                throw StrongroomException.ResourceExhausted($"the job queue is full ({options.MaxActiveJobs} jobs queued or running); retry later");
        }

        signal.Notify();
        return job.Job;
    }

    private async Task RequireSealingKeyAsync(string kid, string owner, CancellationToken cancellationToken)
    {
        if (!KeyLogEntry.IsKid(kid))
        {
            throw StrongroomException.InvalidArgument("envelope.header.result_kid", "missing or malformed");
        }

        var key = await clients.FindSealingKeyAsync(kid, cancellationToken)
            ?? throw StrongroomException.NotFound($"client sealing key '{kid}' in the key log");
        if (!string.Equals(key.Owner, owner, StringComparison.Ordinal))
        {
            throw StrongroomException.PermissionDenied("the result sealing key is registered to another client");
        }

        if (key.State != KeyState.Enabled)
        {
            throw StrongroomException.FailedPrecondition($"client sealing key '{kid}' is {KeyLogEntry.Snake(key.State)}");
        }
    }

    private JobRecord NewRecord(string owner, string jobName, RequestFormat format, byte[] request, byte[] digest, string sealedToKid) => new()
    {
        JobId = NewJobId(),
        Owner = owner,
        JobName = jobName,
        Format = format,
        Request = request,
        RequestDigest = digest,
        SealedToKid = sealedToKid,
        Status = JobStatus.Queued,
        SubmitTime = time.GetUtcNow().ToUnixTimeSeconds(),
    };

    /// <summary>Random and unguessable: a job id reveals nothing and cannot be enumerated.</summary>
    private static string NewJobId() => "job-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private void CheckSize(int size, string field)
    {
        if (size > options.MaxRequestBytes)
        {
            throw StrongroomException.InvalidArgument(field, $"larger than this runner accepts ({options.MaxRequestBytes} bytes)");
        }
    }

    /// <summary>The three members that matter; the clear fields are ignored for every decision.</summary>
    internal static (string Payload, string Fingerprint, string Signature) ParseStudioMl(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            throw StrongroomException.InvalidArgument("studioml_message", "empty");
        }

        if (!System.Text.Unicode.Utf8.IsValid(message))
        {
            throw StrongroomException.InvalidArgument("studioml_message", "not UTF-8");
        }

        using var document = JsonStrings.TryParse(message.ToArray(), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false })
            ?? throw StrongroomException.InvalidArgument("studioml_message", "not valid JSON (a member appears twice, or a string cannot be read)");
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("message", out var inner) || inner.ValueKind != JsonValueKind.Object)
        {
            throw StrongroomException.InvalidArgument("studioml_message", "must be a JSON object with a \"message\" object");
        }

        return (Member(inner, "payload"), Member(inner, "fingerprint"), Member(inner, "signature"));
    }

    private static string Member(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw StrongroomException.InvalidArgument($"studioml_message.message.{name}", "missing or not a string");


    private static string Printable(string value) =>
        value.Length <= 64 && value.All(c => c is >= ' ' and <= '~') ? value : "(unprintable)";

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var result = new byte[a.Length + b.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        return result;
    }
}
