using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Runner.Domain;
using Strongroom.Runner.Queue;
using Api = Strongroom.Runner.V1;

namespace Strongroom.Runner.Grpc;

/// <summary>Client-facing methods (through the edge). Thin: the domain does the work.</summary>
public sealed class RunnerGrpc(RequestIntake intake, SqlJobQueue queue, SubmitRateLimiter limiter, RunnerReadiness readiness, JobSignal signal, RunnerOptions options) : Api.Runner.RunnerBase
{
    public override async Task<Api.SubmitResponse> Submit(Api.SubmitRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        limiter.Acquire(caller.Identity.ToString());
        if (!readiness.CanRunJobs)
        {
            throw StrongroomException.FailedPrecondition("this runner cannot sandbox jobs (bubblewrap is missing or unusable) and never runs them unsandboxed; install bubblewrap");
        }

        var job = request.RequestCase switch
        {
            Api.SubmitRequest.RequestOneofCase.StudiomlMessage => await intake.SubmitStudioMlAsync(request.StudiomlMessage, caller.Identity.ToString(), context.CancellationToken),
            Api.SubmitRequest.RequestOneofCase.Envelope => await intake.SubmitStrongroomAsync(request.Envelope, caller.Identity.ToString(), context.CancellationToken),
            _ => throw StrongroomException.InvalidArgument("request", "set studioml_message or envelope"),
        };
        context.AuditKey(job.JobId);
        return new Api.SubmitResponse { JobId = job.JobId, Status = Api.JobStatus.Queued };
    }

    public override async Task<Api.GetJobResponse> GetJob(Api.GetJobRequest request, ServerCallContext context) =>
        new() { Job = (await ReadableJobAsync(request.JobId, context)).ToContract() };

    public override async Task WatchJob(Api.WatchJobRequest request, IServerStreamWriter<Api.WatchJobResponse> responseStream, ServerCallContext context)
    {
        var job = await ReadableJobAsync(request.JobId, context);
        // Taken before each write and read: a change meanwhile still wakes this watcher.
        var changed = signal.JobChanged(job.JobId);
        try
        {
            await responseStream.WriteAsync(new Api.WatchJobResponse { Job = job.ToContract() }, context.CancellationToken);
            while (!job.IsTerminal)
            {
                await JobSignal.WaitAsync(changed, options.PollInterval, context.CancellationToken);
                changed = signal.JobChanged(job.JobId);
                var now = await queue.GetAsync(job.JobId, context.CancellationToken) ?? job;
                if (now.Status != job.Status || now.Attempts != job.Attempts || now.Reason != job.Reason)
                {
                    await responseStream.WriteAsync(new Api.WatchJobResponse { Job = now.ToContract() }, context.CancellationToken);
                }

                job = now;
            }
        }
        finally
        {
            signal.Forget(job.JobId, changed);
        }
    }

    /// <summary>The job when the caller owns it or is an operator; NOT_FOUND otherwise, so ids leak nothing.</summary>
    private async Task<JobRecord> ReadableJobAsync(string jobId, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(jobId) || jobId.Length > 128)
        {
            throw StrongroomException.InvalidArgument("job_id", "required, at most 128 characters");
        }

        var caller = context.GetCaller();
        var job = await queue.GetAsync(jobId, context.CancellationToken);
        if (job is null || !(caller.Identity.IsOperator || string.Equals(job.Owner, caller.Identity.ToString(), StringComparison.Ordinal)))
        {
            throw StrongroomException.NotFound($"job '{jobId}'");
        }

        context.AuditKey(jobId);
        return job;
    }
}

/// <summary>Operator-only methods, on the admin listener the edge never routes.</summary>
public sealed class RunnerAdminGrpc(SqlJobQueue queue, JobSignal signal, TimeProvider time) : Api.RunnerAdmin.RunnerAdminBase
{
    public override async Task<Api.ListJobsResponse> ListJobs(Api.ListJobsRequest request, ServerCallContext context)
    {
        var size = request.PageSize is <= 0 or > 500 ? 100 : request.PageSize;
        var after = string.IsNullOrEmpty(request.PageToken) ? 0 : PageToken.Decode(request.PageToken);
        var (jobs, last) = await queue.ListAsync(
            string.IsNullOrEmpty(request.OwnerIdentity) ? null : request.OwnerIdentity,
            request.Status == Api.JobStatus.Unspecified ? null : request.Status,
            after,
            size,
            context.CancellationToken);
        var response = new Api.ListJobsResponse { NextPageToken = jobs.Count == size ? PageToken.Encode((int)last) : "" };
        response.Jobs.AddRange(jobs.Select(j => j.ToContract()));
        return response;
    }

    public override async Task<Api.CancelJobResponse> CancelJob(Api.CancelJobRequest request, ServerCallContext context)
    {
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "cancelled by an operator" : request.Reason.Trim();
        if (reason.Length > 256)
        {
            throw StrongroomException.InvalidArgument("reason", "at most 256 characters");
        }

        var before = await queue.GetAsync(request.JobId, context.CancellationToken) ?? throw StrongroomException.NotFound($"job '{request.JobId}'");
        if (before.IsTerminal)
        {
            throw StrongroomException.FailedPrecondition($"job '{request.JobId}' already finished ({before.Status})");
        }

        context.AuditKey(request.JobId);
        var job = await queue.CancelAsync(request.JobId, reason, time.GetUtcNow().ToUnixTimeSeconds(), context.CancellationToken);
        signal.NotifyJob(request.JobId);
        signal.Notify();
        return new Api.CancelJobResponse { Job = job!.ToContract() };
    }
}
