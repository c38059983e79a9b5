using Grpc.Core;
using Strongroom.Client;

namespace Strongroom.Client.Tests;

/// <summary>The SDK's experimenter flow before any network call: set-up errors, job records, error kinds.</summary>
public sealed class StrongroomClientTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("strongroom-client-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Opening_a_client_without_a_certificate_says_not_set_up_and_names_the_missing_file()
    {
        var folder = new ClientFolder(_root, "client/alice");

        var ex = Assert.Throws<StrongroomClientException>(() => StrongroomClient.Open(folder, "https://127.0.0.1:1"));

        Assert.Equal(ClientError.NotSetUp, ex.Error);
        Assert.EndsWith("tls.crt", ex.Path, StringComparison.Ordinal);
        Assert.StartsWith(folder.Pki, ex.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void An_identity_that_is_not_a_workload_identity_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => StrongroomClient.Open(new ClientFolder(_root, "Not An Identity"), "https://127.0.0.1:1"));
    }

    [Fact]
    public void A_job_record_round_trips_and_is_written_owner_only()
    {
        var folder = new ClientFolder(_root, "client/alice");
        var job = new SubmittedJob("job-0123abc", "text-stats", SubmittedJob.StrongroomFormat, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 1_700_000_000, "kid-not-kept");

        job.Save(folder);
        var loaded = SubmittedJob.Load(folder, job.JobId)!;

        Assert.Equal(job.JobId, loaded.JobId);
        Assert.Equal(job.JobName, loaded.JobName);
        Assert.Equal(job.Format, loaded.Format);
        Assert.Equal(job.RequestSha256, loaded.RequestSha256);
        Assert.Equal(job.SubmittedAt, loaded.SubmittedAt);
        Assert.Null(loaded.RecipientKid);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(folder.JobRecord(job.JobId)));
        Assert.Null(SubmittedJob.Load(folder, "job-never-submitted"));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_job_id_that_could_name_another_path_is_refused(string jobId)
    {
        Assert.Throws<ArgumentException>(() => new ClientFolder(_root, "client/alice").JobRecord(jobId));
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, ClientError.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded, ClientError.Unavailable)]
    [InlineData(StatusCode.PermissionDenied, ClientError.NotAuthorized)]
    [InlineData(StatusCode.Unauthenticated, ClientError.NotAuthorized)]
    [InlineData(StatusCode.NotFound, ClientError.NotFound)]
    [InlineData(StatusCode.InvalidArgument, ClientError.Refused)]
    [InlineData(StatusCode.ResourceExhausted, ClientError.Refused)]
    public void A_service_status_becomes_the_matching_error_kind_and_keeps_the_status(StatusCode status, ClientError expected)
    {
        var ex = StrongroomClientException.FromRpc(new RpcException(new Status(status, "detail")), "submitting");

        Assert.Equal(expected, ex.Error);
        Assert.Equal(status, ex.Status);
        Assert.Contains("detail", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verification_failures_are_client_exceptions_of_the_unverified_kind()
    {
        StrongroomClientException log = new KeyLogVerificationException("fork");
        StrongroomClientException result = new ResultVerificationException(ResultFailure.BadSignature, "bad");

        Assert.Equal(ClientError.Unverified, log.Error);
        Assert.Equal(ClientError.Unverified, result.Error);
    }
}
