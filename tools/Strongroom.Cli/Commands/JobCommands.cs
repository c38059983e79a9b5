using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Strongroom.Cli.Dev;
using Strongroom.Cli.Experimenter;
using Strongroom.Client;
using Strongroom.Pki;
using Strongroom.Stack;
using RunnerApi = Strongroom.Runner.V1;

namespace Strongroom.Cli.Commands;

/// <summary>
/// <c>strongroom submit | watch | fetch</c>: an experimenter's jobs, through the edge as client/NAME.
/// submit records what it sent (job id → request digest) under the client's key folder; fetch
/// believes a result only when it verifies against that record and the pinned key log.
/// </summary>
public static class JobCommands
{
    public static IEnumerable<Command> Build()
    {
        var common = new ClientOptions();

        var job = new Option<string?>("--job") { Description = "The job to run (e.g. score-sentiment, text-stats); HPKE request" };
        var studioml = new Option<bool>("--studioml") { Description = "Send --input (a clear StudioML request JSON) as a StudioML queue message sealed to the runner's RSA key" };
        var input = new Option<string>("--input") { Description = "Input file (sent encrypted; never in clear)", Required = true };
        var watchFlag = new Option<bool>("--watch") { Description = "Follow the job until it ends" };
        var submit = new Command("submit", "Encrypt, sign and submit a job request through the edge; prints the job id.") { job, studioml, input, watchFlag };
        common.AddTo(submit);
        submit.SetAction((r, ct) => ClientOptions.RunAsync(Console.Error, () =>
            SubmitAsync(common.Paths(r), r.GetValue(common.Edge)!, r.GetValue(job), r.GetValue(studioml), r.GetValue(input)!, r.GetValue(watchFlag), r.GetValue(common.Json), Console.Out, ct)));

        var jobId = new Argument<string>("job-id") { Description = "The job id submit printed" };
        var watch = new Command("watch", "Follow a job's status transitions (with timestamps) until it ends.") { jobId };
        common.AddTo(watch);
        watch.SetAction((r, ct) => ClientOptions.RunAsync(Console.Error, () =>
            WatchAsync(common.Paths(r), r.GetValue(common.Edge)!, r.GetValue(jobId)!, r.GetValue(common.Json), Console.Out, ct)));

        var outFile = new Option<string?>("--out") { Description = "Write the opened output here (0600) instead of stdout" };
        var fetch = new Command("fetch", "Fetch a job's result, verify it (JWS, key log, pinned checkpoint, request and output digests) and open it.") { jobId, outFile };
        common.AddTo(fetch);
        fetch.SetAction((r, ct) => ClientOptions.RunAsync(Console.Error, () =>
            FetchAsync(common.Paths(r), r.GetValue(common.Edge)!, r.GetValue(jobId)!, r.GetValue(outFile), r.GetValue(common.Json), Console.Out, ct)));

        return [submit, watch, fetch];
    }

    public static async Task<int> SubmitAsync(ClientFolder paths, string edge, string? jobName, bool studioml, string inputFile, bool follow, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        if ((jobName is null) == !studioml)
        {
            throw new ClientProblemException("give either --job NAME (an HPKE request) or --studioml (a StudioML request), not both or neither", ExitCodes.Usage);
        }

        if (!File.Exists(inputFile))
        {
            throw new ClientProblemException($"no input file {inputFile}", ExitCodes.Usage);
        }

        var input = await File.ReadAllBytesAsync(inputFile, cancellationToken);
        using var session = ClientProblems.Open(paths, edge);
        var request = studioml ? JobRequest.StudioMl(input) : JobRequest.Hpke(jobName!, input);
        var record = await ClientProblems.RunAsync(paths, () => session.SubmitAsync(request, cancellationToken));
        if (json)
        {
            ClientOptions.PrintJson(output, new JsonObject
            {
                ["job_id"] = record.JobId,
                ["job"] = record.JobName,
                ["format"] = record.Format,
                ["request_sha256"] = Convert.ToHexStringLower(record.RequestSha256),
                ["record"] = paths.JobRecord(record.JobId),
            });
        }
        else
        {
            output.WriteLine(record.JobId);
        }

        return follow ? await FollowAsync(session, record.JobId, json, output, cancellationToken) : ExitCodes.Ok;
    }

    public static async Task<int> WatchAsync(ClientFolder paths, string edge, string jobId, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        _ = paths.JobRecord(jobId);
        using var session = ClientProblems.Open(paths, edge);
        return await FollowAsync(session, jobId, json, output, cancellationToken);
    }

    private static async Task<int> FollowAsync(StrongroomClient session, string jobId, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var final = await ClientProblems.RunAsync(session.Folder, () => session.WaitAsync(jobId, job =>
        {
            var now = DateTimeOffset.UtcNow;
            if (json)
            {
                ClientOptions.PrintJson(output, new JsonObject
                {
                    ["time"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                    ["job_id"] = job.JobId,
                    ["status"] = job.Status.ToString().ToUpperInvariant(),
                    ["reason"] = job.Reason,
                    ["attempts"] = job.Attempts,
                    ["exit_code"] = job.ExitCode,
                });
            }
            else
            {
                output.WriteLine($"{now:yyyy-MM-dd HH:mm:ss}Z  {job.JobId}  {DevDemo.Describe(job)}");
            }
        }, cancellationToken));
        if (final.Status == RunnerApi.JobStatus.Succeeded)
        {
            if (!json)
            {
                output.WriteLine($"next: strongroom fetch {jobId} --identity {session.Folder.Identity}");
            }

            return ExitCodes.Ok;
        }

        return ExitCodes.JobFailed;
    }

    public static async Task<int> FetchAsync(ClientFolder paths, string edge, string jobId, string? outFile, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var record = SubmittedJob.Load(paths, jobId)
            ?? throw new ClientProblemException($"no record of job {jobId} in {paths.Jobs}: results are verified against what this client sent, so fetch with the --identity/--keys that submitted it", ExitCodes.NotReady);
        using var session = ClientProblems.Open(paths, edge);
        var verified = await ClientProblems.RunAsync(paths, () => session.FetchVerifiedAsync(record, cancellationToken));
        var clear = verified.Output ?? [];
        if (outFile is not null)
        {
            // The clear output is the secret the whole system protects: 0600 from the first byte, replaced atomically.
            SecureFile.WriteAllBytes(outFile, clear, secret: true);
        }

        if (json)
        {
            var obj = new JsonObject
            {
                ["job_id"] = verified.Document.JobId,
                ["verified"] = true,
                ["signer_kid"] = verified.SignerKid,
                ["runner"] = verified.RunnerIdentity,
                ["issued_at"] = verified.IssuedAt,
                ["exit_code"] = verified.Document.ExitCode,
                ["sealed_to_kid"] = verified.Document.SealedToKid,
            };
            if (outFile is null)
            {
                obj["output"] = Encoding.UTF8.GetString(clear);
            }
            else
            {
                obj["out"] = Path.GetFullPath(outFile);
            }

            ClientOptions.PrintJson(output, obj);
        }
        else if (outFile is null)
        {
            // The output goes to stdout alone, so it can be piped; what was checked goes to stderr.
            Console.Error.WriteLine($"verified job {jobId}: signed by {verified.SignerKid} (in the pinned key log), runner {verified.RunnerIdentity}, exit code {verified.Document.ExitCode}; opened with {session.Keys.SealingKid}");
            output.Write(Encoding.UTF8.GetString(clear));
        }
        else
        {
            output.WriteLine($"verified job {jobId}: signed by {verified.SignerKid} (in the pinned key log), runner {verified.RunnerIdentity}, exit code {verified.Document.ExitCode}; opened output written to {outFile} (0600)");
        }

        return ExitCodes.Ok;
    }
}
