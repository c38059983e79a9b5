using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Requests;
using RunnerApi = Strongroom.Runner.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Client;

/// <summary>What to run: an HPKE request to a named job, or a StudioML request (its clear JSON).</summary>
public abstract record JobRequest
{
    private JobRequest()
    {
    }

    /// <summary>A Strongroom HPKE request: <paramref name="Input"/> sealed to the runner's logged X25519 key for job <paramref name="JobName"/>.</summary>
    public static JobRequest Hpke(string jobName, byte[] input) => new HpkeRequest(jobName, input);

    /// <summary>A StudioML request: the clear request JSON, sealed exactly as StudioML does to the runner's logged RSA key.</summary>
    public static JobRequest StudioMl(byte[] requestJson) => new StudioMlRequest(requestJson);

    public sealed record HpkeRequest(string JobName, byte[] Input) : JobRequest;

    public sealed record StudioMlRequest(byte[] RequestJson) : JobRequest;
}

/// <summary>
/// The experimenter's whole flow against the edge: <see cref="SubmitAsync"/> (seal, sign, submit,
/// record), <see cref="WatchAsync"/> (status transitions until the job ends) and
/// <see cref="FetchVerifiedAsync"/> (result JWS by a signer key proven from the pinned key log,
/// the document naming this job, this client and the request exactly as sent, the stored output's
/// digest, then opened with this client's sealing key). Failures a caller can act on are
/// <see cref="StrongroomClientException"/>s. The CLI, <c>dev up</c>'s demo and the
/// whole-stack tests all go through here.
/// </summary>
public sealed class StrongroomClient : IDisposable
{
    /// <summary>How long a submitted HPKE request stays valid at the runner and keyservice.</summary>
    public static readonly TimeSpan RequestLifetime = TimeSpan.FromMinutes(10);

    private StrongroomClient(ClientFolder folder, StrongroomConnection connection, ClientIdentityKeys keys, PinnedLog log, TimeProvider time)
    {
        Folder = folder;
        Connection = connection;
        Keys = keys;
        Log = log;
        Time = time;
    }

    public ClientFolder Folder { get; }

    public StrongroomConnection Connection { get; }

    public ClientIdentityKeys Keys { get; }

    /// <summary>This client's pinned view of the key log; every key and result is checked against it.</summary>
    public PinnedLog Log { get; }

    private TimeProvider Time { get; }

    /// <summary>Full identity URI, what request headers and result documents name.</summary>
    public string Owner => Connection.Identity.ToString();

    /// <summary>
    /// Opens the client whose certificate, keys, log verifier key and pin live in <paramref name="folder"/>,
    /// talking mTLS to the edge at <paramref name="edgeAddress"/>. Throws <see cref="ClientError.NotSetUp"/>
    /// naming the first thing missing.
    /// </summary>
    public static StrongroomClient Open(ClientFolder folder, string edgeAddress, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var pki = new PkiDirectory(folder.Pki);
        WorkloadIdentity id;
        try
        {
            id = WorkloadIdentity.ParseShort(folder.Identity);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"'{folder.Identity}' is not an identity: use client/NAME (lowercase letters, digits, '-')", nameof(folder), ex);
        }

        RequireFile(pki.CertificatePath(id), $"no certificate for {folder.Identity} in {folder.Pki}");
        RequireFile(System.IO.Path.Combine(folder.Keys, ClientIdentityKeys.SigningKeyFile), $"no client keys in {folder.Keys}");
        RequireFile(folder.LogVerifierKeyFile, $"no key-log verifier key at {folder.LogVerifierKeyFile}");

        var keys = ClientIdentityKeys.Load(folder.Keys);
        var connection = new StrongroomConnection(folder.Pki, folder.Identity, edgeAddress);
        try
        {
            var log = OpenLog(connection.KeyLog, folder.LogVerifierKeyFile, folder.PinFile);
            return new StrongroomClient(folder, connection, keys, log, time ?? TimeProvider.System);
        }
        catch
        {
            connection.Dispose();
            keys.Dispose();
            throw;
        }
    }

    /// <summary>A pinned log from a verifier key file (one C2SP note verifier key; its name is the log's origin line).</summary>
    public static PinnedLog OpenLog(IKeyLogSource source, string verifierKeyFile, string? pinFile)
    {
        NoteVerifierKey key;
        try
        {
            key = NoteVerifierKey.Parse(File.ReadAllText(verifierKeyFile).Trim());
        }
        catch (KeyLogFormatException ex)
        {
            throw new KeyLogVerificationException($"{verifierKeyFile} is not a C2SP note verifier key", ex);
        }

        return new PinnedLog(source, key, key.Name, pinFile);
    }

    /// <summary>Fetches the newest checkpoint, proves it extends the pinned one, and pins it.</summary>
    public async Task<Checkpoint> PinAsync(CancellationToken cancellationToken = default) => await Log.RefreshAsync(cancellationToken);

    /// <summary>
    /// Seals <paramref name="request"/> to the runner's key proven in the pinned key log, signs it
    /// with this client's key, submits it through the edge and records it in the client folder.
    /// </summary>
    public async Task<SubmittedJob> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request)
        {
            case JobRequest.HpkeRequest hpke:
            {
                var recipient = await RecipientKeys.FetchRecipientKeyAsync(Connection.PublicKeys, Log, cancellationToken: cancellationToken);
                var built = RequestBuilder.BuildStrongroom(Keys.Signing, Keys.SigningKid, recipient.PublicKey, recipient.Kid, Owner, hpke.JobName, Keys.SealingKid, hpke.Input, Time.GetUtcNow(), RequestLifetime);
                var response = await SubmitAsync(new RunnerApi.SubmitRequest { Envelope = built.Envelope }, cancellationToken);
                return Record(new SubmittedJob(response.JobId, hpke.JobName, SubmittedJob.StrongroomFormat, built.RequestSha256, Time.GetUtcNow().ToUnixTimeSeconds(), recipient.Kid));
            }

            case JobRequest.StudioMlRequest studioMl:
            {
                using var recipient = await RecipientKeys.FetchStudioMlKeyAsync(Connection.PublicKeys, Log, cancellationToken: cancellationToken);
                var message = RequestBuilder.BuildStudioMl(recipient.PublicKey, Keys.Signing, studioMl.RequestJson);
                var response = await SubmitAsync(new RunnerApi.SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken);
                return Record(new SubmittedJob(response.JobId, "studioml", SubmittedJob.StudioMlFormat, RequestDigest.OfStudioMl(message), Time.GetUtcNow().ToUnixTimeSeconds(), recipient.Kid));
            }

            default:
                throw new ArgumentException("unknown request kind", nameof(request));
        }
    }

    /// <summary>
    /// The job's status each time it changes, ending with its terminal state (succeeded, failed,
    /// rejected or cancelled). A long job outlives one stream's deadline; the watch resumes.
    /// </summary>
    public async IAsyncEnumerable<RunnerApi.Job> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _ = Folder.JobRecord(jobId);
        RunnerApi.Job? last = null;
        while (true)
        {
            var changes = new List<RunnerApi.Job>();
            var streamEnded = false;
            using (var call = Connection.Runner.WatchJob(new RunnerApi.WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(30), cancellationToken: cancellationToken))
            {
                var stream = call.ResponseStream;
                while (!streamEnded)
                {
                    bool moved;
                    try
                    {
                        moved = await stream.MoveNext(cancellationToken);
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded && last is not null && !IsTerminal(last.Status))
                    {
                        break;
                    }
                    catch (RpcException ex)
                    {
                        throw StrongroomClientException.FromRpc(ex, $"watching job {jobId}");
                    }

                    if (!moved)
                    {
                        streamEnded = true;
                        break;
                    }

                    var update = stream.Current.Job;
                    var changed = last is null || last.Status != update.Status;
                    last = update;
                    if (changed)
                    {
                        yield return update;
                    }
                }
            }

            if (last is not null && IsTerminal(last.Status))
            {
                yield break;
            }

            if (last is null)
            {
                throw new StrongroomClientException(ClientError.NotFound, $"the runner sent nothing about job {jobId}");
            }
        }
    }

    /// <summary>Follows the job to its end and returns its last state (see <see cref="WatchAsync"/>).</summary>
    public async Task<RunnerApi.Job> WaitAsync(string jobId, Action<RunnerApi.Job>? onChange = null, CancellationToken cancellationToken = default)
    {
        RunnerApi.Job? last = null;
        await foreach (var job in WatchAsync(jobId, cancellationToken))
        {
            onChange?.Invoke(job);
            last = job;
        }

        return last!;
    }

    public static bool IsTerminal(RunnerApi.JobStatus status) =>
        status is RunnerApi.JobStatus.Succeeded or RunnerApi.JobStatus.Failed or RunnerApi.JobStatus.Rejected or RunnerApi.JobStatus.Cancelled;

    /// <summary>
    /// Fetches the stored result through the edge and returns it only after every check (see the
    /// class summary); the output is opened with this client's sealing key. Throws
    /// <see cref="ResultVerificationException"/> for a result that must not be believed.
    /// </summary>
    public async Task<VerifiedResult> FetchVerifiedAsync(SubmittedJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        StorageApi.Result stored;
        try
        {
            stored = (await Connection.Storage.GetResultAsync(new StorageApi.GetResultRequest { JobId = job.JobId }, cancellationToken: cancellationToken)).Result;
        }
        catch (RpcException ex)
        {
            throw StrongroomClientException.FromRpc(ex, $"fetching the result of job {job.JobId}");
        }

        var expectation = new ResultExpectation(job.JobId, Owner, job.RequestSha256) { SealingKid = Keys.SealingKid };
        return await ResultVerifier.VerifyAsync(stored, expectation, Log, Keys.Sealing, cancellationToken);
    }

    /// <summary>As <see cref="FetchVerifiedAsync(SubmittedJob, CancellationToken)"/>, for a job recorded in this client's folder.</summary>
    public Task<VerifiedResult> FetchVerifiedAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var job = SubmittedJob.Load(Folder, jobId)
            ?? throw new StrongroomClientException(ClientError.NotFound, $"no record of job {jobId} in {Folder.Jobs}: results are verified against what this client sent, so fetch with the client folder that submitted it", path: Folder.Jobs);
        return FetchVerifiedAsync(job, cancellationToken);
    }

    public void Dispose()
    {
        Log.Dispose();
        Connection.Dispose();
        Keys.Dispose();
    }

    private SubmittedJob Record(SubmittedJob job)
    {
        job.Save(Folder);
        return job;
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
            throw new StrongroomClientException(ClientError.NotRegistered, $"the runner does not know this client's signing key {Keys.SigningKid} ({ex.Status.Detail}): an operator must register it", ex);
        }
        catch (RpcException ex)
        {
            throw StrongroomClientException.FromRpc(ex, "the runner refused the request");
        }
    }

    private static void RequireFile(string path, string message)
    {
        if (!File.Exists(path))
        {
            throw new StrongroomClientException(ClientError.NotSetUp, message, path: path);
        }
    }
}
