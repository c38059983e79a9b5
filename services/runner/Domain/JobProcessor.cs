using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Requests;
using Strongroom.Runner.Queue;
using Strongroom.Runner.V1;
using Strongroom.Sandbox;
using KeyServiceApi = Strongroom.KeyService.V1;
using SignerApi = Strongroom.Signer.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Runner.Domain;

/// <summary>
/// Runs one leased job (DESIGN §3, §6): keyservice unwraps or decapsulates (it checks the envelope
/// itself), the runner opens, the sandbox executes, the output is sealed to the requester, the
/// signer signs the result document, the signed result is kept in the queue, stored in storage, and
/// only then is the request completed at keyservice and the job finished. Every write carries the
/// lease's fence.
/// </summary>
public sealed partial class JobProcessor(
    RunnerOptions options,
    SqlJobQueue queue,
    JobDefinitions definitions,
    IJobSandbox sandbox,
    IClientKeyDirectory clients,
    KeyServiceApi.KeyService.KeyServiceClient keyService,
    SignerApi.Signer.SignerClient signer,
    StorageApi.Storage.StorageClient storage,
    JobSignal signal,
    TimeProvider time,
    ILogger<JobProcessor> logger)
{
    /// <summary>The one reason every failure after the private-key operation gives (no decryption oracle).</summary>
    public const string OpenFailedReason = "the request could not be decrypted";

    private readonly DownstreamRetry retry = new(time, logger);

    public async Task ProcessAsync(JobLease lease, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var job = lease.Job;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var state = new LeaseState();
        var renewal = RenewAsync(job.JobId, lease.Fence, state, run);
        try
        {
            signal.NotifyJob(job.JobId);
            var pending = job.Pending ?? await RunAsync(job, lease.Fence, state, run.Token);
            if (pending is not null && !state.Lost)
            {
                await StoreAndFinishAsync(job, lease.Fence, pending, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the lease expires and another worker (or this one after restart) resumes.
        }
        catch (OperationCanceledException) when (state.CancelRequested)
        {
            await FinishAsync(job, lease.Fence, JobStatus.Cancelled, "cancelled by an operator", 0, CancellationToken.None);
        }
        catch (OperationCanceledException) when (state.Lost)
        {
            // Another worker owns the job now; this one writes nothing more.
        }
        finally
        {
            await run.CancelAsync();
            await renewal;
            signal.NotifyJob(job.JobId);
        }
    }

    /// <summary>Opens and executes; returns the signed, sealed result kept in the queue, or null when the job ended without one.</summary>
    private async Task<PendingResult?> RunAsync(JobRecord job, long fence, LeaseState state, CancellationToken cancellationToken)
    {
        if (!definitions.TryGet(job.JobName, out var definition))
        {
            await FinishAsync(job, fence, JobStatus.Rejected, $"no job named '{job.JobName}' is configured on this runner any more", 0, cancellationToken);
            return null;
        }

        byte[]? input;
        try
        {
            input = await OpenAsync(job, cancellationToken);
        }
        catch (RpcException ex) when (DownstreamRetry.IsTransient(ex.StatusCode))
        {
            // keyservice was not reached (or did not answer): retry later without using up an attempt.
            LogTransient(logger, job.JobId, "keyservice", ex.StatusCode);
            await queue.ReleaseAsync(job.JobId, fence, (time.GetUtcNow() + options.RetryBackoff).ToUnixTimeSeconds(), CancellationToken.None);
            return null;
        }
        catch (RpcException ex)
        {
            // keyservice's own checks, before any private-key operation: specific reasons are no oracle.
            await FinishAsync(job, fence, JobStatus.Rejected, $"keyservice refused the request: {ex.StatusCode}: {ex.Status.Detail}", 0, cancellationToken);
            return null;
        }

        if (input is null)
        {
            await FinishAsync(job, fence, JobStatus.Rejected, OpenFailedReason, 0, cancellationToken);
            return null;
        }

        SandboxResult result;
        try
        {
            result = await sandbox.RunAsync(definition, job.JobId, input, cancellationToken);
        }
        catch (SandboxUnavailableException)
        {
            await FinishAsync(job, fence, JobStatus.Failed, "this runner cannot sandbox jobs (bubblewrap unavailable); it never runs them unsandboxed", 0, CancellationToken.None);
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }

        if (state.Lost)
        {
            return null;
        }

        if (state.CancelRequested || result.Cancelled)
        {
            var reason = state.CancelRequested ? "cancelled by an operator" : result.CancelReason ?? "cancelled by an operator";
            await FinishAsync(job, fence, JobStatus.Cancelled, reason, result.ExitCode, CancellationToken.None);
            return null;
        }

        var sealingKey = await clients.FindSealingKeyAsync(job.SealedToKid, cancellationToken);
        if (sealingKey is null || sealingKey.State != KeyState.Enabled || sealingKey.Owner != job.Owner)
        {
            CryptographicOperations.ZeroMemory(result.Output);
            await FinishAsync(job, fence, JobStatus.Failed, "the requester's result sealing key is no longer usable; the output was discarded", result.ExitCode, cancellationToken);
            return null;
        }

        var sealedOutput = ResultSealing.Seal(sealingKey.PublicKey, job.JobId, result.Output);
        CryptographicOperations.ZeroMemory(result.Output);
        var finished = time.GetUtcNow().ToUnixTimeSeconds();
        var document = new ResultDocument
        {
            JobId = job.JobId,
            Owner = job.Owner,
            JobName = job.JobName,
            Format = job.Format == RequestFormat.Studioml ? "studioml" : "strongroom",
            RequestSha256 = job.RequestDigest,
            OutputSha256 = SHA256.HashData(sealedOutput.Ciphertext),
            OutputSize = sealedOutput.Ciphertext.Length,
            SealedToKid = job.SealedToKid,
            OutputTruncated = result.OutputTruncated,
            TimedOut = result.TimedOut,
            ExitCode = result.ExitCode,
            SubmittedAt = job.SubmitTime,
            StartedAt = job.StartTime,
            FinishedAt = finished,
        };
        // Signing runs within the lease (renewed meanwhile): a signer outage delays the result instead
        // of running the job, and spending an unwrap, again.
        var sign = new SignerApi.SignRequest { KeyName = options.ResultSigningKey, Payload = ByteString.CopyFrom(document.ToJsonBytes()) };
        var signed = await retry.CallAsync(job.JobId, "signer", RetrySchedule.Signing(options.SignRetryWindow),
            async ct => await signer.SignAsync(sign, cancellationToken: ct), cancellationToken);
        var pending = new PendingResult(signed.Jws, sealedOutput.Ciphertext, sealedOutput.EncapsulatedKey, document.Status == "succeeded", result.ExitCode);
        return await queue.SavePendingAsync(job.JobId, fence, pending, CancellationToken.None) ? pending : null;
    }

    /// <summary>The clear input, or null when the message key does not open it (one answer for every such case).</summary>
    private async Task<byte[]?> OpenAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (job.Format == RequestFormat.Studioml)
        {
            var (payload, fingerprint, signature) = RequestIntake.ParseStudioMl(job.Request);
            var reply = await keyService.UnwrapMessageKeyAsync(
                new KeyServiceApi.UnwrapMessageKeyRequest { KeyName = options.StudioMlKeyName, Payload = payload, Fingerprint = fingerprint, Signature = signature, ClientIdentity = job.Owner },
                cancellationToken: cancellationToken);
            var key = reply.MessageKey.ToByteArray();
            try
            {
                var parts = StudioMlPayload.Parse(payload);
                return key.Length == StudioMlPayload.KeySize && StudioMlPayload.TryOpenBox(key, parts.Box, out var plaintext) ? plaintext : null;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }

        var envelope = Envelope.Parser.ParseFrom(job.Request);
        var keys = await keyService.DecapsulateAsync(new KeyServiceApi.DecapsulateRequest { Envelope = envelope, ClientIdentity = job.Owner }, cancellationToken: cancellationToken);
        var aeadKey = keys.AeadKey.ToByteArray();
        var nonce = keys.BaseNonce.ToByteArray();
        try
        {
            if (aeadKey.Length != Hpke.KeySize || nonce.Length != Hpke.NonceSize)
            {
                return null;
            }

            using var opener = new HpkeOpener(aeadKey, nonce);
            return opener.TryOpen(envelope.Header.Span, envelope.Ct.Span, out var plaintext) ? plaintext : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(aeadKey);
            CryptographicOperations.ZeroMemory(nonce);
        }
    }

    private async Task StoreAndFinishAsync(JobRecord job, long fence, PendingResult pending, CancellationToken cancellationToken)
    {
        var put = new StorageApi.PutResultRequest
        {
            JobId = job.JobId,
            OwnerIdentity = job.Owner,
            SignedResult = pending.SignedResult,
            Output = ByteString.CopyFrom(pending.Output),
            OutputEnc = ByteString.CopyFrom(pending.OutputEnc),
            SealedToKid = job.SealedToKid,
        };
        try
        {
            // Idempotent by job id: a retry of the same bytes is "already stored", not a second result.
            await retry.CallAsync(job.JobId, "storage", RetrySchedule.Delivery, async ct => await storage.PutResultAsync(put, cancellationToken: ct), cancellationToken);
        }
        catch (RpcException ex) when (DownstreamRetry.IsTransient(ex.StatusCode))
        {
            // Keep the lease's pending result; the job is leased again later and only stored then.
            await queue.ReleaseAsync(job.JobId, fence, (time.GetUtcNow() + options.RetryBackoff).ToUnixTimeSeconds(), CancellationToken.None);
            return;
        }

        await CompleteAtKeyServiceAsync(job, cancellationToken);
        var reason = pending.Succeeded ? "" : $"the job did not succeed (exit code {pending.ExitCode}); its signed result is stored";
        await FinishAsync(job, fence, pending.Succeeded ? JobStatus.Succeeded : JobStatus.Failed, reason, pending.ExitCode, CancellationToken.None);
    }

    /// <summary>After the result is stored, keyservice refuses this request from now on (DESIGN §3.2).</summary>
    private async Task CompleteAtKeyServiceAsync(JobRecord job, CancellationToken cancellationToken)
    {
        var request = new KeyServiceApi.CompleteRequestRequest();
        if (job.Format == RequestFormat.Studioml)
        {
            var (payload, _, _) = RequestIntake.ParseStudioMl(job.Request);
            request.StudiomlPayloadSha256 = ByteString.CopyFrom(StudioMlPayload.ReplayDigest(payload));
        }
        else
        {
            var header = EnvelopeHeader.Parse(Envelope.Parser.ParseFrom(job.Request).Header);
            request.Strongroom = new KeyServiceApi.StrongroomRequestId { ClientIdentity = header.ClientIdentity, RequestId = header.RequestId };
        }

        try
        {
            await retry.CallAsync(job.JobId, "keyservice CompleteRequest", RetrySchedule.Delivery,
                async ct => await keyService.CompleteRequestAsync(request, cancellationToken: ct), cancellationToken);
        }
        catch (RpcException ex) when (DownstreamRetry.IsTransient(ex.StatusCode))
        {
            // The result is stored; keyservice still bounds the request by its unwrap budget and expiry.
            LogCompleteFailed(logger, job.JobId);
        }
    }

    private async Task FinishAsync(JobRecord job, long fence, JobStatus status, string reason, int exitCode, CancellationToken cancellationToken)
    {
        if (await queue.FinishAsync(job.JobId, fence, status, reason, exitCode, time.GetUtcNow().ToUnixTimeSeconds(), cancellationToken))
        {
            LogFinished(logger, job.JobId, status);
        }
    }

    /// <summary>Renews the lease while the job runs; a lost lease or an operator's cancel stops the run.</summary>
    private async Task RenewAsync(string jobId, long fence, LeaseState state, CancellationTokenSource run)
    {
        var every = options.LeaseDuration / 3;
        try
        {
            while (!run.IsCancellationRequested)
            {
                // Every job's run ends by cancelling this delay: awaited without throwing, so finishing a job costs no exception.
                await Task.Delay(every, run.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (run.IsCancellationRequested)
                {
                    return;
                }

                var until = (time.GetUtcNow() + options.LeaseDuration).ToUnixTimeSeconds();
                var (held, cancel) = await queue.RenewAsync(jobId, fence, until, CancellationToken.None);
                if (!held || cancel)
                {
                    state.Lost = !held;
                    state.CancelRequested = cancel;
                    await run.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private sealed class LeaseState
    {
        public volatile bool Lost;
        public volatile bool CancelRequested;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Dependency} answered {Status}; the job will be retried")]
    private static partial void LogTransient(ILogger logger, string jobId, string dependency, StatusCode status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: keyservice CompleteRequest did not succeed; the result is stored and the request stays bounded by its unwrap budget")]
    private static partial void LogCompleteFailed(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} finished: {Status}")]
    private static partial void LogFinished(ILogger logger, string jobId, JobStatus status);
}
