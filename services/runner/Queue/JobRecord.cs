using Strongroom.Runner.V1;

namespace Strongroom.Runner.Queue;

/// <summary>A job as the queue stores it: the request exactly as received, never its clear input.</summary>
public sealed record JobRecord
{
    public required string JobId { get; init; }

    public required string Owner { get; init; }

    public required string JobName { get; init; }

    public required RequestFormat Format { get; init; }

    /// <summary>StudioML: the queue-message bytes; Strongroom: the serialized Envelope.</summary>
    public required byte[] Request { get; init; }

    public required byte[] RequestDigest { get; init; }

    /// <summary>The client sealing kid the result is sealed to.</summary>
    public required string SealedToKid { get; init; }

    public JobStatus Status { get; init; } = JobStatus.Queued;

    public string Reason { get; init; } = "";

    public int ExitCode { get; init; }

    public int Attempts { get; init; }

    /// <summary>Incremented by every lease; a worker's writes carry the fence it leased with.</summary>
    public long Fence { get; init; }

    public long SubmitTime { get; init; }

    public long StartTime { get; init; }

    public long FinishTime { get; init; }

    public bool CancelRequested { get; init; }

    /// <summary>A result signed and sealed but perhaps not yet stored: a re-lease stores it instead of running the job again.</summary>
    public PendingResult? Pending { get; init; }

    public bool IsTerminal => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Rejected or JobStatus.Cancelled;

    public Job ToContract() => new()
    {
        JobId = JobId,
        OwnerIdentity = Owner,
        JobName = JobName,
        Format = Format,
        Status = Status,
        Reason = Reason,
        SubmitTime = SubmitTime,
        StartTime = StartTime,
        FinishTime = FinishTime,
        ExitCode = ExitCode,
        Attempts = (uint)Attempts,
        RequestDigest = Google.Protobuf.ByteString.CopyFrom(RequestDigest),
    };
}

/// <summary>What PutResult will store, kept in the queue so a crash between signing and storing never re-runs the job.</summary>
public sealed record PendingResult(string SignedResult, byte[] Output, byte[] OutputEnc, bool Succeeded, int ExitCode);

/// <summary>A job leased by one worker, with the fence its later writes must carry.</summary>
public sealed record JobLease(JobRecord Job, long Fence);

/// <summary>What Submit adds: the job and its replay key, recorded in one transaction.</summary>
public sealed record NewJob(JobRecord Job, byte[] ReplayKey, long ReplayKeepUntil);

public enum EnqueueOutcome
{
    Accepted,
    Replayed,
    QueueFull,
}
