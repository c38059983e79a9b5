using System.ComponentModel.DataAnnotations;
using Strongroom.Transport.Channels;

namespace Strongroom.Runner;

/// <summary>Bound from the <c>Runner</c> section.</summary>
public sealed class RunnerOptions
{
    public const string SectionName = "Runner";

    /// <summary>"Sqlite" (single machine, the default) or "Postgres" (several replicas).</summary>
    [Required]
    public string Backend { get; set; } = "Sqlite";

    /// <summary>The SQLite queue (created 0600, WAL, synchronous=FULL).</summary>
    public string SqlitePath { get; set; } = "data/runner/queue.db";

    public string PostgresConnectionString { get; set; } = "";

    public string PostgresSchema { get; set; } = "runner";

    /// <summary>Names this replica in leases; empty means host name and process id.</summary>
    public string ReplicaId { get; set; } = "";

    /// <summary>Queued plus running jobs beyond which Submit answers RESOURCE_EXHAUSTED.</summary>
    [Range(1, 1_000_000)]
    public int MaxActiveJobs { get; set; } = 1000;

    /// <summary>Largest request (StudioML message or envelope) accepted.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Jobs run at once by this replica.</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 2;

    /// <summary>A running job's lease; renewed every third of it while the job runs.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks for work (also woken at once by a local Submit).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a job waits after a dependency (keyservice, storage) was unavailable before it is leased again.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a finished job keeps retrying an unavailable signer within its lease.</summary>
    public TimeSpan SignRetryWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Leases per job that ended without a result before it fails; keyservice allows 3 unwraps per request.</summary>
    [Range(1, 3)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Per-client Submit budget: a token bucket refilled at this rate per minute.</summary>
    [Range(1, 1_000_000)]
    public int SubmitsPerMinute { get; set; } = 120;

    [Range(1, 100_000)]
    public int SubmitBurst { get; set; } = 20;

    /// <summary>The configured job a StudioML request runs (StudioML envelopes name no job).</summary>
    public string StudioMlJob { get; set; } = "studioml";

    /// <summary>keyservice's RSA-4096 key StudioML envelopes are sealed to.</summary>
    public string StudioMlKeyName { get; set; } = "studioml";

    /// <summary>The signer key results are signed with; empty means the signer's default.</summary>
    public string ResultSigningKey { get; set; } = "";

    /// <summary>Where each run's fresh working directory is made (never mounted whole into a job).</summary>
    [Required]
    public string WorkRoot { get; set; } = "data/runner/work";

    public string BubblewrapPath { get; set; } = "/usr/bin/bwrap";

    /// <summary>What relative host paths in job binds are relative to; empty means the content root.</summary>
    public string JobsRoot { get; set; } = "";

    /// <summary>The operator's jobs by name. A request can only ever name one of these.</summary>
    public Dictionary<string, JobOptions> Jobs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a key-log answer about a client key or request key that let a request through is
    /// reused at Submit (and for result sealing) before storage is asked again: the bound within which
    /// a revoked or disabled key is refused by the runner (keyservice re-checks uncached before any
    /// decryption). Zero turns the cache off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    public DownstreamOptions KeyService { get; set; } = new() { Address = "https://127.0.0.1:7402", Identity = "keyservice" };

    public DownstreamOptions Signer { get; set; } = new() { Address = "https://127.0.0.1:7403", Identity = "signer" };

    public DownstreamOptions Storage { get; set; } = new() { Address = "https://127.0.0.1:7404", Identity = "storage" };
}

/// <summary>One operator-defined job.</summary>
public sealed class JobOptions
{
    /// <summary>Absolute path of the program, inside the sandbox's read-only /usr (e.g. /usr/bin/python3).</summary>
    public string Command { get; set; } = "";

    /// <summary>Argument template; "{input}" becomes the in-sandbox path of the input file.</summary>
    public List<string> Arguments { get; set; } = [];

    public int TimeoutSeconds { get; set; } = 60;

    public long OutputCapBytes { get; set; } = 1024 * 1024;

    /// <summary>"Stdin" or "File".</summary>
    public string Input { get; set; } = "Stdin";

    /// <summary>Host folders mounted read-only into the sandbox (host path → sandbox path), e.g. the job scripts at /job.</summary>
    public Dictionary<string, string> ReadOnlyBinds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Extra environment variables for the job (its environment is otherwise scrubbed).</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);
}
