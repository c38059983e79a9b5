using System.Data.Common;
using Strongroom.Runner.V1;
using static Strongroom.Persistence.Sql;

namespace Strongroom.Runner.Queue;

/// <summary>
/// The durable job queue over ADO.NET, shared by the SQLite (single machine) and PostgreSQL
/// (several replicas) backends. Accepted means committed; delivery is at-least-once under a fencing
/// lease: every lease increments the job's fence, and a worker's writes only land while the fence
/// is still the one it leased with, so a worker that lost its lease (crash, pause) can never
/// complete a job another worker now owns.
/// </summary>
public abstract class SqlJobQueue : IDisposable
{
    /// <summary>A connection lent for one operation.</summary>
    protected abstract Task<(DbConnection Connection, Func<ValueTask> Release)> LeaseConnectionAsync(CancellationToken cancellationToken);

    /// <summary>A transaction that may write (SQLite: BEGIN IMMEDIATE).</summary>
    /// <summary>A connection for a single read (GetAsync); by default the same as for writes.</summary>
    protected virtual Task<(DbConnection Connection, Func<ValueTask> Release)> LeaseReadConnectionAsync(CancellationToken cancellationToken) =>
        LeaseConnectionAsync(cancellationToken);

    protected abstract Task<QueueWrite> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// One write of the queue: its commands run with <see cref="Transaction"/>; CommitAsync keeps
    /// its changes, disposing without it undoes them. When the caller is answered is up to the
    /// store (SQLite answers after the group commit that includes it; see SqliteJobQueue).
    /// </summary>
    protected abstract class QueueWrite : IAsyncDisposable
    {
        /// <summary>What the write's commands are bound to (null when the store manages the transaction itself).</summary>
        public abstract DbTransaction? Transaction { get; }

        public abstract Task CommitAsync(CancellationToken cancellationToken);

        public abstract ValueTask DisposeAsync();
    }

    /// <summary>A write that is exactly one database transaction.</summary>
    protected sealed class TransactionWrite(DbTransaction transaction) : QueueWrite
    {
        public override DbTransaction? Transaction => transaction;

        public override Task CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

        public override ValueTask DisposeAsync() => transaction.DisposeAsync();
    }

    /// <summary>Appended to the lease candidate query: PostgreSQL skips rows another replica holds locked.</summary>
    protected virtual string LockClause => "";

    protected abstract bool IsUniqueViolation(DbException exception);

    public abstract void Dispose();

    protected static string Schema(string intType, string blob, string serial) => $"""
        CREATE TABLE IF NOT EXISTS jobs (
            seq {serial},
            job_id TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL,
            job_name TEXT NOT NULL,
            format {intType} NOT NULL,
            request {blob} NOT NULL,
            request_digest {blob} NOT NULL,
            sealed_to_kid TEXT NOT NULL,
            status {intType} NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            exit_code {intType} NOT NULL DEFAULT 0,
            attempts {intType} NOT NULL DEFAULT 0,
            fence {intType} NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_expires {intType} NOT NULL DEFAULT 0,
            cancel_requested {intType} NOT NULL DEFAULT 0,
            submit_time {intType} NOT NULL,
            start_time {intType} NOT NULL DEFAULT 0,
            finish_time {intType} NOT NULL DEFAULT 0,
            pending_jws TEXT,
            pending_output {blob},
            pending_enc {blob},
            pending_succeeded {intType} NOT NULL DEFAULT 0,
            pending_exit {intType} NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, seq);
        CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, seq);
        CREATE TABLE IF NOT EXISTS seen (
            replay_key {blob} PRIMARY KEY,
            keep_until {intType} NOT NULL);
        CREATE INDEX IF NOT EXISTS seen_keep_until ON seen(keep_until);
        """;

    private const string Columns =
        "job_id, owner, job_name, format, request, request_digest, sealed_to_kid, status, reason, exit_code, attempts, fence, " +
        "cancel_requested, submit_time, start_time, finish_time, pending_jws, pending_output, pending_enc, pending_succeeded, pending_exit, seq";

    private static readonly long Queued = (long)JobStatus.Queued;
    private static readonly long Running = (long)JobStatus.Running;

    /// <summary>Records the replay key and the job in one transaction, or neither.</summary>
    public async Task<EnqueueOutcome> EnqueueAsync(NewJob newJob, int maxActive, long now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(newJob);
        var job = newJob.Job;
        var (c, release) = await LeaseConnectionAsync(cancellationToken);
        try
        {
            await using var tx = await BeginWriteAsync(c, cancellationToken);
            await ExecuteAsync(c, tx.Transaction, "DELETE FROM seen WHERE keep_until < @now", cancellationToken, ("now", now));
            var seen = await ScalarAsync(c, tx.Transaction, "SELECT COUNT(*) FROM seen WHERE replay_key = @k", cancellationToken, ("k", newJob.ReplayKey));
            if (seen > 0)
            {
                return EnqueueOutcome.Replayed;
            }

            var active = await ScalarAsync(c, tx.Transaction, "SELECT COUNT(*) FROM jobs WHERE status = @q OR status = @r", cancellationToken, ("q", Queued), ("r", Running));
            if (active >= maxActive)
            {
                return EnqueueOutcome.QueueFull;
            }

            try
            {
                await ExecuteAsync(c, tx.Transaction, "INSERT INTO seen (replay_key, keep_until) VALUES (@k, @u)", cancellationToken, ("k", newJob.ReplayKey), ("u", newJob.ReplayKeepUntil));
            }
            catch (DbException ex) when (IsUniqueViolation(ex))
            {
                // Another replica accepted the same request a moment ago.
                return EnqueueOutcome.Replayed;
            }

            await ExecuteAsync(
                c,
                tx.Transaction,
                "INSERT INTO jobs (job_id, owner, job_name, format, request, request_digest, sealed_to_kid, status, submit_time) " +
                "VALUES (@id, @owner, @name, @format, @request, @digest, @kid, @status, @now)",
                cancellationToken,
                ("id", job.JobId), ("owner", job.Owner), ("name", job.JobName), ("format", (long)job.Format), ("request", job.Request),
                ("digest", job.RequestDigest), ("kid", job.SealedToKid), ("status", Queued), ("now", now));
            await tx.CommitAsync(cancellationToken);
            return EnqueueOutcome.Accepted;
        }
        finally
        {
            await release();
        }
    }

    /// <summary>
    /// Leases the oldest queued job, or a running one whose lease expired (its worker died). Jobs
    /// that already used <paramref name="maxAttempts"/> leases without a pending result fail here
    /// instead of running again.
    /// </summary>
    public async Task<JobLease?> LeaseAsync(string replica, long now, long leaseUntil, int maxAttempts, CancellationToken cancellationToken)
    {
        var (c, release) = await LeaseConnectionAsync(cancellationToken);
        try
        {
            for (var tries = 0; tries < 16; tries++)
            {
                await using var tx = await BeginWriteAsync(c, cancellationToken);
                var candidates = await QueryAsync(
                    c,
                    tx.Transaction,
                    $"SELECT {Columns} FROM jobs WHERE (status = @q OR status = @r) AND lease_expires < @now ORDER BY seq LIMIT 1{LockClause}",
                    Read,
                    cancellationToken,
                    ("q", Queued), ("r", Running), ("now", now));
                if (candidates.Count == 0)
                {
                    return null;
                }

                var job = candidates[0];
                if (job.CancelRequested)
                {
                    await ExecuteAsync(c, tx.Transaction, "UPDATE jobs SET status = @s, finish_time = @now, fence = fence + 1, lease_owner = NULL WHERE job_id = @id", cancellationToken,
                        ("s", (long)JobStatus.Cancelled), ("now", now), ("id", job.JobId));
                    await tx.CommitAsync(cancellationToken);
                    continue;
                }

                if (job.Attempts >= maxAttempts && job.Pending is null)
                {
                    await ExecuteAsync(c, tx.Transaction, "UPDATE jobs SET status = @s, reason = @reason, finish_time = @now, fence = fence + 1, lease_owner = NULL WHERE job_id = @id", cancellationToken,
                        ("s", (long)JobStatus.Failed), ("reason", $"gave up after {maxAttempts} attempts (each ended without a result: the runner stopped or lost its lease while running it)"), ("now", now), ("id", job.JobId));
                    await tx.CommitAsync(cancellationToken);
                    continue;
                }

                var fence = job.Fence + 1;
                await ExecuteAsync(
                    c,
                    tx.Transaction,
                    "UPDATE jobs SET status = @r, fence = @fence, attempts = attempts + 1, lease_owner = @owner, lease_expires = @until, start_time = @now WHERE job_id = @id",
                    cancellationToken,
                    ("r", Running), ("fence", fence), ("owner", replica), ("until", leaseUntil), ("now", now), ("id", job.JobId));
                await tx.CommitAsync(cancellationToken);
                return new JobLease(job with { Status = JobStatus.Running, Fence = fence, Attempts = job.Attempts + 1, StartTime = now }, fence);
            }

            return null;
        }
        finally
        {
            await release();
        }
    }

    /// <summary>Extends a lease; false when it was lost. Also reports whether an operator asked to cancel.</summary>
    public async Task<(bool Held, bool CancelRequested)> RenewAsync(string jobId, long fence, long leaseUntil, CancellationToken cancellationToken)
    {
        var held = await WriteFencedAsync("UPDATE jobs SET lease_expires = @until WHERE job_id = @id AND fence = @fence AND status = @r", cancellationToken,
            ("until", leaseUntil), ("id", jobId), ("fence", fence), ("r", Running));
        if (!held)
        {
            return (false, false);
        }

        var job = await GetAsync(jobId, cancellationToken);
        return (true, job?.CancelRequested == true);
    }

    /// <summary>Keeps the signed, sealed result before it is stored, so a crash after this point never runs the job again.</summary>
    public Task<bool> SavePendingAsync(string jobId, long fence, PendingResult pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pending);
        return WriteFencedAsync(
            "UPDATE jobs SET pending_jws = @jws, pending_output = @output, pending_enc = @enc, pending_succeeded = @ok, pending_exit = @exit " +
            "WHERE job_id = @id AND fence = @fence AND status = @r",
            cancellationToken,
            ("jws", pending.SignedResult), ("output", pending.Output), ("enc", pending.OutputEnc), ("ok", pending.Succeeded ? 1L : 0L), ("exit", (long)pending.ExitCode),
            ("id", jobId), ("fence", fence), ("r", Running));
    }

    /// <summary>Moves a leased job to a final status; false (and nothing written) when the lease was lost.</summary>
    public Task<bool> FinishAsync(string jobId, long fence, JobStatus status, string reason, int exitCode, long now, CancellationToken cancellationToken) =>
        WriteFencedAsync(
            "UPDATE jobs SET status = @s, reason = @reason, exit_code = @exit, finish_time = @now, lease_owner = NULL, pending_output = NULL " +
            "WHERE job_id = @id AND fence = @fence AND status = @r",
            cancellationToken,
            ("s", (long)status), ("reason", reason), ("exit", (long)exitCode), ("now", now), ("id", jobId), ("fence", fence), ("r", Running));

    /// <summary>
    /// Gives a lease back because a dependency was unavailable: the job is queued again, not before
    /// <paramref name="retryAt"/>, and the attempt is given back — attempts count runs that may have
    /// spent one of keyservice's unwraps, and an outage before the unwrap spent none.
    /// </summary>
    public Task<bool> ReleaseAsync(string jobId, long fence, long retryAt, CancellationToken cancellationToken) =>
        WriteFencedAsync(
            "UPDATE jobs SET status = @q, lease_owner = NULL, lease_expires = @retry, attempts = attempts - 1 WHERE job_id = @id AND fence = @fence AND status = @r AND attempts > 0",
            cancellationToken,
            ("q", Queued), ("retry", retryAt), ("id", jobId), ("fence", fence), ("r", Running));

    /// <summary>Makes every running job's lease expired (SQLite: the only runner process restarted).</summary>
    public async Task ExpireLeasesAsync(CancellationToken cancellationToken)
    {
        var (c, release) = await LeaseConnectionAsync(cancellationToken);
        try
        {
            await using var tx = await BeginWriteAsync(c, cancellationToken);
            await ExecuteAsync(c, tx.Transaction, "UPDATE jobs SET lease_expires = 0 WHERE status = @r", cancellationToken, ("r", Running));
            await tx.CommitAsync(cancellationToken);
        }
        finally
        {
            await release();
        }
    }

    /// <summary>Cancels a queued job at once, or flags a running one for its worker; terminal jobs are returned unchanged.</summary>
    public async Task<JobRecord?> CancelAsync(string jobId, string reason, long now, CancellationToken cancellationToken)
    {
        var (c, release) = await LeaseConnectionAsync(cancellationToken);
        try
        {
            await using var tx = await BeginWriteAsync(c, cancellationToken);
            await ExecuteAsync(c, tx.Transaction, "UPDATE jobs SET status = @s, reason = @reason, finish_time = @now, fence = fence + 1 WHERE job_id = @id AND status = @q", cancellationToken,
                ("s", (long)JobStatus.Cancelled), ("reason", reason), ("now", now), ("id", jobId), ("q", Queued));
            await ExecuteAsync(c, tx.Transaction, "UPDATE jobs SET cancel_requested = 1, reason = @reason WHERE job_id = @id AND status = @r", cancellationToken,
                ("reason", reason), ("id", jobId), ("r", Running));
            await tx.CommitAsync(cancellationToken);
        }
        finally
        {
            await release();
        }

        return await GetAsync(jobId, cancellationToken);
    }

    public async Task<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        // WatchJob and GetJob read here many times per job: they need not wait behind an fsync'd write.
        var (c, release) = await LeaseReadConnectionAsync(cancellationToken);
        try
        {
            var rows = await QueryAsync(c, null, $"SELECT {Columns} FROM jobs WHERE job_id = @id", Read, cancellationToken, ("id", jobId));
            return rows.Count == 0 ? null : rows[0];
        }
        finally
        {
            await release();
        }
    }

    /// <summary>A page of jobs in submission order after <paramref name="afterSeq"/>; the last row's seq continues.</summary>
    public async Task<(IReadOnlyList<JobRecord> Jobs, long LastSeq)> ListAsync(string? owner, JobStatus? status, long afterSeq, int pageSize, CancellationToken cancellationToken)
    {
        var (c, release) = await LeaseConnectionAsync(cancellationToken);
        try
        {
            var rows = await QueryAsync(
                c,
                null,
                $"SELECT {Columns} FROM jobs WHERE seq > @after AND (@owner = '' OR owner = @owner) AND (@status = 0 OR status = @status) ORDER BY seq LIMIT @limit",
                r => (Job: Read(r), Seq: r.GetInt64(21)),
                cancellationToken,
                ("after", afterSeq), ("owner", owner ?? ""), ("status", (long)(status ?? JobStatus.Unspecified)), ("limit", (long)pageSize));
            return (rows.Select(r => r.Job).ToList(), rows.Count == 0 ? afterSeq : rows[^1].Seq);
        }
        finally
        {
            await release();
        }
    }

    /// <summary>How many jobs are in each status (for tests and operators).</summary>
    public async Task<IReadOnlyDictionary<JobStatus, long>> CountByStatusAsync(CancellationToken cancellationToken)
    {
        var (c, release) = await LeaseConnectionAsync(cancellationToken);
        try
        {
            var rows = await QueryAsync(c, null, "SELECT status, COUNT(*) FROM jobs GROUP BY status", r => ((JobStatus)r.GetInt64(0), r.GetInt64(1)), cancellationToken);
            return rows.ToDictionary(r => r.Item1, r => r.Item2);
        }
        finally
        {
            await release();
        }
    }

    private async Task<bool> WriteFencedAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var (c, release) = await LeaseConnectionAsync(cancellationToken);
        try
        {
            await using var tx = await BeginWriteAsync(c, cancellationToken);
            var changed = await ExecuteAsync(c, tx.Transaction, sql, cancellationToken, parameters);
            await tx.CommitAsync(cancellationToken);
            return changed == 1;
        }
        finally
        {
            await release();
        }
    }

    private static JobRecord Read(DbDataReader r) => new()
    {
        JobId = r.GetString(0),
        Owner = r.GetString(1),
        JobName = r.GetString(2),
        Format = (RequestFormat)r.GetInt64(3),
        Request = r.GetFieldValue<byte[]>(4),
        RequestDigest = r.GetFieldValue<byte[]>(5),
        SealedToKid = r.GetString(6),
        Status = (JobStatus)r.GetInt64(7),
        Reason = r.GetString(8),
        ExitCode = (int)r.GetInt64(9),
        Attempts = (int)r.GetInt64(10),
        Fence = r.GetInt64(11),
        CancelRequested = r.GetInt64(12) != 0,
        SubmitTime = r.GetInt64(13),
        StartTime = r.GetInt64(14),
        FinishTime = r.GetInt64(15),
        Pending = r.IsDBNull(16) || r.IsDBNull(17)
            ? null
            : new PendingResult(r.GetString(16), r.GetFieldValue<byte[]>(17), r.IsDBNull(18) ? [] : r.GetFieldValue<byte[]>(18), r.GetInt64(19) != 0, (int)r.GetInt64(20)),
    };
}
