using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Client;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Requests;
using RunnerApi = Strongroom.Runner.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Cli.Experimenter;

/// <summary>
/// Where an experimenter's things live in a state folder (dev: <c>.dev/</c>):
/// <list type="bullet">
/// <item><c>pki/</c>: certificates (<c>client-NAME/tls.crt</c>) and <c>log-verifier.key</c>, the key-log
/// verifier key the operator hands out (the operator fetches it from the signer's admin listener);</item>
/// <item><c>clients/NAME/</c>: the client's signing and sealing keys (0600), <c>keylog.pin</c> (the pinned
/// checkpoint) and <c>jobs/JOB_ID.json</c> (what was sent, to verify the result against).</item>
/// </list>
/// </summary>
public sealed partial class ClientPaths(string stateRoot, string identity, string? keysDirectory = null)
{
    public const string LogVerifierKeyFileName = "log-verifier.key";

    public string StateRoot { get; } = Path.GetFullPath(stateRoot);

    /// <summary>Short form, e.g. <c>client/demo</c>.</summary>
    public string Identity { get; } = identity;

    public string Pki => Path.Combine(StateRoot, "pki");

    public string LogVerifierKeyFile => Path.Combine(Pki, LogVerifierKeyFileName);

    public string Name => Identity.StartsWith("client/", StringComparison.Ordinal) ? Identity["client/".Length..] : Identity.Replace('/', '-');

    public string Keys { get; } = Path.GetFullPath(keysDirectory ?? Path.Combine(stateRoot, "clients", identity.StartsWith("client/", StringComparison.Ordinal) ? identity["client/".Length..] : identity.Replace('/', '-')));

    public string PinFile => Path.Combine(Keys, "keylog.pin");

    public string Jobs => Path.Combine(Keys, "jobs");

    public string JobRecord(string jobId) =>
        JobIdPattern().IsMatch(jobId) ? Path.Combine(Jobs, jobId + ".json") : throw new ArgumentException($"'{jobId}' is not a job id", nameof(jobId));

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex JobIdPattern();
}

/// <summary>What the client keeps per submitted job: enough to verify its result later.</summary>
public sealed record JobRecord(string JobId, string JobName, string Format, byte[] RequestSha256, long SubmittedAt)
{
    public void Save(ClientPaths paths)
    {
        Directory.CreateDirectory(paths.Jobs);
        var json = new JsonObject
        {
            ["job_id"] = JobId,
            ["job"] = JobName,
            ["format"] = Format,
            ["request_sha256"] = Convert.ToHexStringLower(RequestSha256),
            ["submitted_at"] = SubmittedAt,
        };
        SecureFile.WriteAllText(paths.JobRecord(JobId), json.ToJsonString() + "\n", secret: true);
    }

    /// <summary>Null when this client folder has no record of the job (submitted elsewhere).</summary>
    public static JobRecord? Load(ClientPaths paths, string jobId)
    {
        var path = paths.JobRecord(jobId);
        if (!File.Exists(path))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        return new JobRecord(
            root.GetProperty("job_id").GetString()!,
            root.GetProperty("job").GetString()!,
            root.GetProperty("format").GetString()!,
            Convert.FromHexString(root.GetProperty("request_sha256").GetString()!),
            root.GetProperty("submitted_at").GetInt64());
    }
}

/// <summary>A problem the user can act on; the message says what to do next.</summary>
public sealed class ClientProblemException(string message, int exitCode = ExitCodes.Failed, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// An experimenter talking to the edge: its keys, its mTLS connection and its pinned view of the key
/// log. Every step the CLI and <c>dev up</c> take as a client goes through here and the SDK.
/// </summary>
public sealed class ClientSession : IDisposable
{
    private ClientSession(ClientPaths paths, StrongroomConnection connection, ClientIdentityKeys keys, PinnedLog log)
    {
        Paths = paths;
        Connection = connection;
        Keys = keys;
        Log = log;
    }

    public ClientPaths Paths { get; }

    public StrongroomConnection Connection { get; }

    public ClientIdentityKeys Keys { get; }

    public PinnedLog Log { get; }

    /// <summary>Full identity URI, what headers and result documents name.</summary>
    public string Owner => Connection.Identity.ToString();

    public static ClientSession Open(ClientPaths paths, string edgeAddress)
    {
        var pki = new PkiDirectory(paths.Pki);
        WorkloadIdentity id;
        try
        {
            id = WorkloadIdentity.ParseShort(paths.Identity);
        }
        catch (FormatException ex)
        {
            throw new ClientProblemException($"'{paths.Identity}' is not an identity: use client/NAME (lowercase letters, digits, '-')", ExitCodes.Usage, ex);
        }

        if (!File.Exists(pki.CertificatePath(id)))
        {
            throw new ClientProblemException($"no certificate for {paths.Identity} in {paths.Pki}: run 'strongroom pki issue {paths.Identity} --dir {paths.Pki}'", ExitCodes.NotReady);
        }

        if (!File.Exists(Path.Combine(paths.Keys, ClientIdentityKeys.SigningKeyFile)))
        {
            throw new ClientProblemException($"no client keys in {paths.Keys}: run 'strongroom client keygen --out {paths.Keys}', then have an operator run 'strongroom client register --identity {paths.Identity} --keys {paths.Keys}'", ExitCodes.NotReady);
        }

        if (!File.Exists(paths.LogVerifierKeyFile))
        {
            throw new ClientProblemException($"no key-log verifier key at {paths.LogVerifierKeyFile}: ask an operator for it (dev: 'strongroom dev up' writes it)", ExitCodes.NotReady);
        }

        var keys = ClientIdentityKeys.Load(paths.Keys);
        var connection = new StrongroomConnection(paths.Pki, paths.Identity, edgeAddress);
        try
        {
            var log = OpenLog(connection.KeyLog, paths.LogVerifierKeyFile, paths.PinFile);
            return new ClientSession(paths, connection, keys, log);
        }
        catch
        {
            connection.Dispose();
            keys.Dispose();
            throw;
        }
    }

    /// <summary>The verifier key file holds one C2SP note verifier key; its name is the log's origin line.</summary>
    public static PinnedLog OpenLog(IKeyLogSource source, string verifierKeyFile, string? pinFile)
    {
        NoteVerifierKey key;
        try
        {
            key = NoteVerifierKey.Parse(File.ReadAllText(verifierKeyFile).Trim());
        }
        catch (KeyLogFormatException ex)
        {
            throw new ClientProblemException($"{verifierKeyFile} is not a C2SP note verifier key; ask the operator for the log key again", ExitCodes.Failed, ex);
        }

        return new PinnedLog(source, key, key.Name, pinFile);
    }

    public async Task<Checkpoint> PinAsync(CancellationToken cancellationToken) => await Log.RefreshAsync(cancellationToken);

    /// <summary>Encrypts <paramref name="input"/> to the runner's logged X25519 key (HPKE), signs, submits, records.</summary>
    public async Task<(JobRecord Record, RecipientKey Recipient)> SubmitStrongroomAsync(string jobName, byte[] input, CancellationToken cancellationToken)
    {
        var recipient = await RecipientKeys.FetchRecipientKeyAsync(Connection.PublicKeys, Log, cancellationToken: cancellationToken);
        var built = RequestBuilder.BuildStrongroom(Keys.Signing, Keys.SigningKid, recipient.PublicKey, recipient.Kid, Owner, jobName, Keys.SealingKid, input, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));
        var response = await SubmitAsync(new RunnerApi.SubmitRequest { Envelope = built.Envelope }, cancellationToken);
        var record = new JobRecord(response.JobId, jobName, "strongroom", built.RequestSha256, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        record.Save(Paths);
        return (record, recipient);
    }

    /// <summary>Seals a clear StudioML request to the runner's logged RSA key, exactly as StudioML does, submits the queue message, records.</summary>
    public async Task<(JobRecord Record, string RecipientKid)> SubmitStudioMlAsync(byte[] requestJson, CancellationToken cancellationToken)
    {
        using var recipient = await RecipientKeys.FetchStudioMlKeyAsync(Connection.PublicKeys, Log, cancellationToken: cancellationToken);
        var message = RequestBuilder.BuildStudioMl(recipient.PublicKey, Keys.Signing, requestJson);
        var response = await SubmitAsync(new RunnerApi.SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken);
        var record = new JobRecord(response.JobId, "studioml", "studioml", RequestDigest.OfStudioMl(message), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        record.Save(Paths);
        return (record, recipient.Kid);
    }

    private async Task<RunnerApi.SubmitResponse> SubmitAsync(RunnerApi.SubmitRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await Connection.Runner.SubmitAsync(request, cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound && ex.Status.Detail.Contains("signing key", StringComparison.Ordinal))
        {
            // The commonest first-run mistake: keys generated but never registered by an operator.
            throw new ClientProblemException($"the runner does not know this client's signing key {Keys.SigningKid} ({ex.Status.Detail}): an operator must register it with 'strongroom client register --identity {Paths.Identity} --keys {Paths.Keys}'", ExitCodes.NotReady, ex);
        }
    }

    /// <summary>Follows a job until it ends, calling <paramref name="onChange"/> on each status change; returns the last state.</summary>
    public async Task<RunnerApi.Job> WatchAsync(string jobId, Action<RunnerApi.Job> onChange, CancellationToken cancellationToken)
    {
        RunnerApi.Job? last = null;
        // The deadline is per call; a long job needs a fresh stream, so loop until terminal.
        while (true)
        {
            try
            {
                using var call = new RunnerApi.Runner.RunnerClient(Connection.Invoker).WatchJob(
                    new RunnerApi.WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(30), cancellationToken: cancellationToken);
                await foreach (var update in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    if (last is null || last.Status != update.Job.Status)
                    {
                        onChange(update.Job);
                    }

                    last = update.Job;
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded && last is not null && !IsTerminal(last.Status))
            {
                continue;
            }

            if (last is not null && IsTerminal(last.Status))
            {
                return last;
            }

            if (last is null)
            {
                throw new ClientProblemException($"the runner sent nothing about job {jobId}");
            }
        }
    }

    public static bool IsTerminal(RunnerApi.JobStatus status) => status is RunnerApi.JobStatus.Succeeded or RunnerApi.JobStatus.Failed or RunnerApi.JobStatus.Rejected or RunnerApi.JobStatus.Cancelled;

    /// <summary>
    /// Fetches the stored result through the edge and believes it only after the SDK's checks: JWS
    /// (EdDSA, typ strongroom-result) by a signer key proven from the pinned key log, the document
    /// naming this job, this client and the request exactly as sent, the stored output's digest;
    /// then opens the output with this client's sealing key.
    /// </summary>
    public async Task<(VerifiedResult Result, StorageApi.Result Stored)> FetchAsync(JobRecord record, CancellationToken cancellationToken)
    {
        var stored = (await Connection.Storage.GetResultAsync(new StorageApi.GetResultRequest { JobId = record.JobId }, cancellationToken: cancellationToken)).Result;
        var expectation = new ResultExpectation(record.JobId, Owner, record.RequestSha256) { SealingKid = Keys.SealingKid };
        var verified = await ResultVerifier.VerifyAsync(stored, expectation, Log, Keys.Sealing, cancellationToken);
        return (verified, stored);
    }

    public void Dispose()
    {
        Log.Dispose();
        Connection.Dispose();
        Keys.Dispose();
    }
}
