using System.Text;
using Strongroom.Testing;

namespace Strongroom.Sandbox.Tests;

/// <summary>The example jobs in examples/jobs run in the sandbox (python3 from /usr only) and give the recorded output.</summary>
public sealed class SampleJobTests : IClassFixture<SandboxFixture>
{
    private readonly SandboxFixture fixture;

    public SampleJobTests(SandboxFixture fixture)
    {
        this.fixture = fixture;
        SandboxFixture.RequireBubblewrap();
    }

    private static string Jobs => Path.Combine(RepoPaths.Root, "examples", "jobs");

    [Theory]
    [InlineData("score_sentiment.py", JobInput.Stdin, "sentiment-input.json", "sentiment-output.json")]
    [InlineData("studioml_experiment.py", JobInput.Stdin, "studioml-request-1.json", "studioml-output-1.json")]
    [InlineData("text_stats.py", JobInput.File, "text.txt", "text-stats-output.json")]
    public async Task Sample_job_produces_the_expected_output_in_the_sandbox(string script, JobInput input, string sample, string expected)
    {
        // The configuration shape from examples/jobs/README.md: scripts mounted read-only at /job.
        var job = new JobDefinition
        {
            Name = Path.GetFileNameWithoutExtension(script),
            Command = "/usr/bin/python3",
            Arguments = input == JobInput.File ? ["/job/" + script, "{input}"] : ["/job/" + script],
            Timeout = TimeSpan.FromSeconds(30),
            OutputCapBytes = 1 << 20,
            Input = input,
            ReadOnlyBinds = new Dictionary<string, string> { [Jobs] = "/job" },
        };

        var result = await fixture.Sandbox.RunAsync(job, "sample", File.ReadAllBytes(Path.Combine(Jobs, "samples", sample)), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, $"exit {result.ExitCode}: {Encoding.UTF8.GetString(result.Stderr)}");
        Assert.Equal(File.ReadAllText(Path.Combine(Jobs, "samples", expected)), Encoding.UTF8.GetString(result.Output));
    }

    [Fact]
    public async Task StudioML_job_summarizes_the_shared_fixture_request()
    {
        var request = Path.Combine(Jobs, "samples", "studioml-request-1.json");
        var job = new JobDefinition
        {
            Name = "studioml",
            Command = "/usr/bin/python3",
            Arguments = ["/job/studioml_experiment.py"],
            Timeout = TimeSpan.FromSeconds(30),
            OutputCapBytes = 1 << 20,
            ReadOnlyBinds = new Dictionary<string, string> { [Jobs] = "/job" },
        };

        var result = await fixture.Sandbox.RunAsync(job, "studioml", File.ReadAllBytes(request), TestContext.Current.CancellationToken);

        var summary = System.Text.Json.JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal("exp-0001", summary.GetProperty("experiment").GetString());
        Assert.Equal("train.py --epochs 1 --lr 0.01", summary.GetProperty("entrypoint").GetString());
        Assert.Equal("s3://experiments/exp-0001/workspace.tar", summary.GetProperty("artifacts")[0].GetProperty("qualified").GetString());
        Assert.Equal(1200, summary.GetProperty("resources").GetProperty("max_duration_seconds").GetInt32());
        Assert.InRange(summary.GetProperty("score").GetDouble(), 0, 1);
    }
}
