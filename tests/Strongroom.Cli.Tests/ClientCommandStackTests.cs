using System.Text.Json;
using System.Text.RegularExpressions;
using Strongroom.Cli;
using Strongroom.Cli.Commands;
using Strongroom.Cli.Experimenter;
using Strongroom.Cli.Tests.Support;
using Strongroom.Client;
using Strongroom.Stack;
using Strongroom.Testing;

namespace Strongroom.Cli.Tests;

/// <summary>The experimenter and operator commands against a real stack, through the edge.</summary>
[Collection(StackCollection.Name)]
public sealed class ClientCommandStackTests(CliStack stack) : IClassFixture<CliStack>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Edge => stack.Layout.EdgeAddress;

    private static string Expected(string path) => File.ReadAllText(path).Trim();

    [Fact]
    public async Task A_new_client_generates_keys_gets_a_certificate_and_registration_then_submits_watches_and_fetches_a_verified_opened_result()
    {
        stack.RequireReady();
        var paths = stack.Paths("client/alice");
        Assert.Equal(ExitCodes.Ok, ClientCommands.Keygen(paths.Keys, "alice", json: false, TextWriter.Null, TextWriter.Null));
        Assert.Equal(ExitCodes.Ok, PkiCommands.Issue(stack.Layout.Pki, "client/alice", 7, TextWriter.Null, TextWriter.Null));
        var registered = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await ClientCommands.RegisterAsync(stack.Layout.StateRoot, "client/alice", paths.Keys, "operator/admin", null, stack.StorageAddress, json: false, registered, Ct));
        Assert.Contains("registered client/alice: signing kid", registered.ToString());

        var submitted = new StringWriter();
        var exit = await JobCommands.SubmitAsync(paths, Edge, "text-stats", studioml: false, stack.Sample("text.txt"), follow: true, json: false, submitted, Ct);

        var lines = submitted.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(exit == ExitCodes.Ok, submitted + stack.Log);
        var jobId = lines[0].Trim();
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  " + Regex.Escape(jobId) + "  SUCCEEDED", lines.Single(l => l.Contains("SUCCEEDED", StringComparison.Ordinal)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(paths.JobRecord(jobId)));

        var outFile = Path.Combine(stack.Layout.StateRoot, "alice-output.json");
        var fetched = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await JobCommands.FetchAsync(paths, Edge, jobId, outFile, json: false, fetched, Ct));
        Assert.Contains($"verified job {jobId}: signed by", fetched.ToString());
        Assert.Equal(Expected(stack.Sample("text-stats-output.json")), File.ReadAllText(outFile).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outFile));
    }

    [Fact]
    public async Task The_sdk_alone_submits_both_envelopes_watches_each_transition_once_and_fetches_verified_opened_results()
    {
        stack.RequireReady();
        using var client = StrongroomClient.Open(stack.Paths("client/demo"), Edge);
        await client.PinAsync(Ct);

        foreach (var (request, expected) in new[]
        {
            (JobRequest.Hpke("text-stats", File.ReadAllBytes(stack.Sample("text.txt"))), Expected(stack.Sample("text-stats-output.json"))),
            (JobRequest.StudioMl(File.ReadAllBytes(stack.Sample("studioml-request-1.json"))), Expected(stack.Sample("studioml-output-1.json"))),
        })
        {
            var job = await client.SubmitAsync(request, Ct);
            var seen = new List<Strongroom.Runner.V1.JobStatus>();
            await foreach (var state in client.WatchAsync(job.JobId, Ct))
            {
                seen.Add(state.Status);
            }

            Assert.Equal(Strongroom.Runner.V1.JobStatus.Succeeded, seen[^1]);
            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.NotNull(job.RecipientKid);
            var result = await client.FetchVerifiedAsync(job.JobId, Ct);
            Assert.Equal(job.JobId, result.Document.JobId);
            Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(result.Output!).Trim());
        }
    }

    [Fact]
    public async Task The_sdk_reports_an_unregistered_client_as_not_registered_and_records_nothing()
    {
        stack.RequireReady();
        var paths = stack.Paths("client/dave");
        Assert.Equal(ExitCodes.Ok, ClientCommands.Keygen(paths.Keys, null, json: false, TextWriter.Null, TextWriter.Null));
        Assert.Equal(ExitCodes.Ok, PkiCommands.Issue(stack.Layout.Pki, "client/dave", 7, TextWriter.Null, TextWriter.Null));
        using var client = StrongroomClient.Open(paths, Edge);

        var ex = await Assert.ThrowsAsync<StrongroomClientException>(() => client.SubmitAsync(JobRequest.Hpke("text-stats", [1, 2, 3]), Ct));

        Assert.Equal(ClientError.NotRegistered, ex.Error);
        Assert.False(Directory.Exists(paths.Jobs));
    }

    [Fact]
    public async Task Submitting_with_keys_no_operator_registered_says_to_run_client_register()
    {
        stack.RequireReady();
        var paths = stack.Paths("client/carol");
        Assert.Equal(ExitCodes.Ok, ClientCommands.Keygen(paths.Keys, null, json: false, TextWriter.Null, TextWriter.Null));
        Assert.Equal(ExitCodes.Ok, PkiCommands.Issue(stack.Layout.Pki, "client/carol", 7, TextWriter.Null, TextWriter.Null));
        var error = new StringWriter();

        var exit = await ClientOptions.RunAsync(error, () => JobCommands.SubmitAsync(paths, Edge, "text-stats", studioml: false, stack.Sample("text.txt"), follow: false, json: false, TextWriter.Null, Ct));

        Assert.Equal(ExitCodes.NotReady, exit);
        Assert.Contains("strongroom client register --identity client/carol", error.ToString());
        Assert.False(Directory.Exists(paths.Jobs));
    }

    [Fact]
    public async Task Registering_the_same_keys_again_is_reported_as_already_registered_not_an_error()
    {
        stack.RequireReady();
        var output = new StringWriter();

        var exit = await ClientCommands.RegisterAsync(stack.Layout.StateRoot, "client/demo", stack.Paths("client/demo").Keys, "operator/admin", null, stack.StorageAddress, json: true, output, Ct);

        Assert.Equal(ExitCodes.Ok, exit);
        using var doc = JsonDocument.Parse(output.ToString());
        Assert.True(doc.RootElement.GetProperty("already_registered").GetBoolean());
    }

    [Fact]
    public async Task A_studioml_request_is_submitted_watched_and_fetched_with_json_output()
    {
        stack.RequireReady();
        var paths = stack.Paths("client/demo");
        var submitted = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await JobCommands.SubmitAsync(paths, Edge, null, studioml: true, stack.Sample("studioml-request-1.json"), follow: false, json: true, submitted, Ct));
        string jobId;
        using (var doc = JsonDocument.Parse(submitted.ToString()))
        {
            Assert.Equal("studioml", doc.RootElement.GetProperty("format").GetString());
            jobId = doc.RootElement.GetProperty("job_id").GetString()!;
        }

        var watched = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await JobCommands.WatchAsync(paths, Edge, jobId, json: true, watched, Ct));
        var statuses = watched.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("status").GetString()).ToList();
        Assert.Equal("SUCCEEDED", statuses[^1]);
        Assert.Equal(statuses.Count, statuses.Distinct().Count());

        var fetched = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await JobCommands.FetchAsync(paths, Edge, jobId, null, json: true, fetched, Ct));
        using var result = JsonDocument.Parse(fetched.ToString());
        Assert.True(result.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal("spiffe://strongroom/runner", result.RootElement.GetProperty("runner").GetString());
        Assert.Equal(Expected(stack.Sample("studioml-output-1.json")), result.RootElement.GetProperty("output").GetString()!.Trim());
    }

    [Fact]
    public async Task Fetch_refuses_a_result_that_names_another_request_than_the_one_recorded_and_exits_unverified()
    {
        stack.RequireReady();
        var paths = stack.Paths("client/demo");
        var submitted = new StringWriter();
        Assert.Equal(ExitCodes.Ok, await JobCommands.SubmitAsync(paths, Edge, "score-sentiment", studioml: false, stack.Sample("sentiment-input.json"), follow: true, json: false, submitted, Ct));
        var jobId = submitted.ToString().Split('\n')[0].Trim();
        var record = SubmittedJob.Load(paths, jobId)!;
        (record with { RequestSha256 = new byte[32] }).Save(paths);
        var error = new StringWriter();

        var exit = await ClientOptions.RunAsync(error, () => JobCommands.FetchAsync(paths, Edge, jobId, null, json: true, TextWriter.Null, Ct));

        Assert.Equal(ExitCodes.Unverified, exit);
        Assert.Contains("RequestDigestMismatch", error.ToString());
    }

    [Fact]
    public async Task Fetch_without_a_local_record_of_the_job_says_to_use_the_submitting_client()
    {
        stack.RequireReady();
        var error = new StringWriter();

        var exit = await ClientOptions.RunAsync(error, () => JobCommands.FetchAsync(stack.Paths("client/demo"), Edge, "no-such-job", null, json: false, TextWriter.Null, Ct));

        Assert.Equal(ExitCodes.NotReady, exit);
        Assert.Contains("no record of job no-such-job", error.ToString());
    }

    /// <summary>Runs <c>strongroom key …</c> as the CLI parses it, with its output captured.</summary>
    private static async Task<(int Code, string Output, string Error)> Key(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await KeyCommands.Build(output, error).Parse(args).InvokeAsync(cancellationToken: Ct);
        return (code, output.ToString(), error.ToString());
    }

    private static JsonElement[] Keys(string listJson)
    {
        using var doc = JsonDocument.Parse(listJson);
        return [.. doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.Clone())];
    }

    [Fact]
    public async Task Key_commands_administer_keyservice_or_signer_keys_by_service_through_one_API()
    {
        stack.RequireReady();
        var pki = stack.Layout.Pki;
        var keyService = ServiceSpec.KeyService.AdminAddress(stack.Layout);
        var signer = ServiceSpec.Signer.AdminAddress(stack.Layout);

        // keyservice is the default service: the keys dev up created.
        var (code, output, error) = await Key("list", "--pki", pki, "--admin", keyService, "--json");
        Assert.True(code == ExitCodes.Ok, error);
        var keys = Keys(output);
        Assert.Contains(keys, k => k.GetProperty("keyName").GetString() == "requests" && k.GetProperty("kind").GetString() == "KEY_KIND_X25519");
        Assert.Contains(keys, k => k.GetProperty("keyName").GetString() == "studioml" && k.GetProperty("kind").GetString() == "KEY_KIND_RSA_4096");

        // The signer: same commands, Ed25519 by default.
        (code, output, error) = await Key("create", "cli-signing", "--service", "signer", "--pki", pki, "--admin", signer, "--json");
        Assert.True(code == ExitCodes.Ok, error);
        using (var created = JsonDocument.Parse(output))
        {
            Assert.Equal("KEY_KIND_ED25519", created.RootElement.GetProperty("key").GetProperty("kind").GetString());
            Assert.Equal("KEY_PURPOSE_JWS", created.RootElement.GetProperty("key").GetProperty("purpose").GetString());
        }

        (code, output, error) = await Key("rotate", "cli-signing", "--service", "signer", "--pki", pki, "--admin", signer, "--json");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("\"version\": 2", output, StringComparison.Ordinal);

        (code, output, error) = await Key("list", "--service", "signer", "--pki", pki, "--admin", signer, "--json");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains(Keys(output), k => k.GetProperty("keyName").GetString() == "keylog" && k.GetProperty("purpose").GetString() == "KEY_PURPOSE_LOG_CHECKPOINT");
        Assert.DoesNotContain(Keys(output), k => k.GetProperty("keyName").GetString() == "requests");
    }

    [Fact]
    public async Task Key_commands_name_the_service_that_refused_and_check_its_identity()
    {
        stack.RequireReady();
        var pki = stack.Layout.Pki;
        var signer = ServiceSpec.Signer.AdminAddress(stack.Layout);

        var (code, _, error) = await Key("create", "cli-x25519", "--service", "signer", "--kind", "x25519", "--pki", pki, "--admin", signer);
        Assert.Equal(ExitCodes.Failed, code);
        Assert.StartsWith("signer: InvalidArgument", error, StringComparison.Ordinal);
        Assert.Contains("KEY_KIND_ED25519", error, StringComparison.Ordinal);

        // keyservice expected at the signer's address: the signer's certificate is refused in the handshake, so nothing is sent.
        (code, _, error) = await Key("list", "--service", "keyservice", "--pki", pki, "--admin", signer);
        Assert.Equal(ExitCodes.Failed, code);
        Assert.StartsWith("keyservice: ", error, StringComparison.Ordinal);
        Assert.Contains("remote certificate was rejected", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_pem_prints_the_logged_studioml_key_as_pkcs1_and_warns_that_rotation_changes_it()
    {
        stack.RequireReady();
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(ExitCodes.Ok, await KeyCommands.PemAsync(stack.Paths("client/demo"), Edge, "studioml", json: false, output, error, Ct));

        Assert.StartsWith("-----BEGIN RSA PUBLIC KEY-----", output.ToString());
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(output.ToString());
        Assert.Equal(4096, rsa.KeySize);
        Assert.Contains("rotating the key changes the PEM", error.ToString());
    }

    [Fact]
    public async Task Doctor_finds_nothing_wrong_with_a_healthy_stack_and_reports_the_clock_skew()
    {
        stack.RequireReady();

        var checks = await DoctorCommand.CheckAsync(stack.Layout, "client/demo", "operator/admin", "/usr/bin/bwrap", TimeProvider.System, Ct);

        Assert.All(checks, c => Assert.True(c.Ok, c.Name + ": " + c.Detail));
        Assert.Contains(checks, c => c.Name == "runner" && c.Detail.Contains("healthy", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.Name == "client via edge");
        Assert.Matches(@"clock skew of -?[01] s", Assert.Single(checks, c => c.Name == "clock").Detail);
    }

    [Fact]
    public async Task Doctor_names_a_clock_two_minutes_ahead_as_a_clock_skew_of_120_seconds()
    {
        stack.RequireReady();

        var checks = await DoctorCommand.CheckAsync(stack.Layout, "client/demo", "operator/admin", "/usr/bin/bwrap", new ShiftedClock(TimeSpan.FromMinutes(2)), Ct);

        var clock = Assert.Single(checks, c => c.Name == "clock");
        Assert.False(clock.Ok);
        Assert.Matches(@"clock skew of 1(19|20|21) s", clock.Detail);
        Assert.Contains("sync this machine's clock", clock.Detail);
    }
}
