using Strongroom.Deployment.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// Every image builds the way DESIGN §8 asks: multi-stage, restore layer cached, non-root, health
/// check, every COPY source in the build context. No Docker engine here: the files are read, and
/// scripts/check-containers.sh runs their restore and publish commands for real.
/// </summary>
public sealed class DockerfileTests
{
    private const string AspNet = "mcr.microsoft.com/dotnet/aspnet:10.0";

    public static TheoryData<string, string, string> Images() => new()
    {
        { "services/kms/Dockerfile", "services/kms/Strongroom.Kms.csproj", AspNet },
        { "services/keyservice/Dockerfile", "services/keyservice/Strongroom.KeyService.csproj", AspNet },
        { "services/signer/Dockerfile", "services/signer/Strongroom.Signer.csproj", AspNet },
        { "services/storage/Dockerfile", "services/storage/Strongroom.Storage.csproj", AspNet },
        { "services/runner/Dockerfile", "services/runner/Strongroom.Runner.csproj", AspNet },
        { "services/edge/Dockerfile", "services/edge/Strongroom.Edge.csproj", AspNet },
        { "tools/Strongroom.Cli/Dockerfile", "tools/Strongroom.Cli/Strongroom.Cli.csproj", "mcr.microsoft.com/dotnet/runtime:10.0" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void Built_in_the_sdk_and_run_in_a_runtime_image(string dockerfile, string project, string runtime)
    {
        _ = project;
        Assert.Empty(DockerfileRules.MultiStage(DockerfileText.Load(dockerfile), runtime));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Restores_from_project_files_alone_before_copying_sources_then_publishes_Release_without_restoring(string dockerfile, string project, string runtime)
    {
        _ = runtime;
        Assert.Empty(DockerfileRules.RestoreLayer(DockerfileText.Load(dockerfile), project));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Runs_as_a_non_root_user(string dockerfile, string project, string runtime)
    {
        _ = (project, runtime);
        Assert.Empty(DockerfileRules.NonRoot(DockerfileText.Load(dockerfile)));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Every_COPY_source_exists_and_is_in_the_build_context(string dockerfile, string project, string runtime)
    {
        _ = (project, runtime);
        var d = DockerfileText.Load(dockerfile);
        Assert.NotEmpty(d.CopySources());
        Assert.Empty(DockerfileRules.CopySourcesExist(d, RepoPaths.Root, DockerfileRules.DockerIgnorePatterns(RepoPaths.Root)));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Starts_the_assembly_its_project_publishes(string dockerfile, string project, string runtime)
    {
        _ = runtime;
        var entry = DockerfileText.Load(dockerfile).All("ENTRYPOINT").Last().Arguments;
        Assert.Equal($"[\"dotnet\", \"/app/{DockerfileRules.AssemblyName(project)}.dll\"]", entry);
    }

    [Theory]
    [InlineData("kms")]
    [InlineData("keyservice")]
    [InlineData("signer")]
    [InlineData("storage")]
    [InlineData("runner")]
    [InlineData("edge")]
    public void Every_service_image_has_a_health_check_on_its_loopback_probe_listener(string service)
    {
        var d = DockerfileText.Load($"services/{service}/Dockerfile");
        Assert.Empty(DockerfileRules.HealthCheck(d));
        Assert.Contains(d.FinalStage, i => i.Keyword == "ENV" && i.Arguments.Contains($"Strongroom__Identity={service}", StringComparison.Ordinal));
    }

    [Fact]
    public void Compose_builds_each_service_from_its_own_Dockerfile()
    {
        var compose = ComposeFile.Parse(File.ReadAllText(DeploymentFiles.Compose));
        foreach (var s in CallGraph.Services)
        {
            Assert.Equal($"services/{s}/Dockerfile", compose.Services[s].Dockerfile);
            Assert.True(File.Exists(DeploymentFiles.Dockerfile(s)));
        }

        Assert.Equal("tools/Strongroom.Cli/Dockerfile", compose.Services[CallGraph.OperatorTool].Dockerfile);
    }

    [Fact]
    public void The_runner_image_has_bubblewrap_python_and_the_jobs_where_JobsRoot_points()
    {
        var d = DockerfileText.Load("services/runner/Dockerfile");
        var install = d.FinalStage.Single(i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get install", StringComparison.Ordinal)).Arguments;
        Assert.Contains("bubblewrap", install, StringComparison.Ordinal);
        Assert.Contains("python3", install, StringComparison.Ordinal);
        Assert.Contains(d.FinalStage, i => i.Keyword == "COPY" && i.Arguments == "examples/jobs/ /opt/strongroom/examples/jobs/");
        Assert.Contains(d.FinalStage, i => i.Keyword == "ENV" && i.Arguments.Contains("Runner__JobsRoot=/opt/strongroom", StringComparison.Ordinal));
    }

    [Fact]
    public void The_build_context_never_includes_the_compose_PKI_or_secrets()
    {
        var patterns = DockerfileRules.DockerIgnorePatterns(RepoPaths.Root);
        Assert.NotNull(DockerfileRules.Ignored("deploy/compose/pki/ca/ca.key", patterns));
        Assert.NotNull(DockerfileRules.Ignored("deploy/compose/secrets/kms-passphrase", patterns));
        Assert.NotNull(DockerfileRules.Ignored("libs/Strongroom.Crypto/obj/project.assets.json", patterns));
        Assert.NotNull(DockerfileRules.Ignored(".dev/secrets/kms-passphrase", patterns));
        Assert.Null(DockerfileRules.Ignored("libs/Strongroom.Crypto/Strongroom.Crypto.csproj", patterns));
    }

    private const string BadDockerfile = """
        FROM mcr.microsoft.com/dotnet/sdk:10.0
        WORKDIR /src
        COPY . .
        COPY services/kms/Strongroom.Kms.csproj elsewhere/
        COPY no/such/folder/ x/
        RUN dotnet restore services/kms/Strongroom.Kms.csproj
        RUN dotnet publish services/kms/Strongroom.Kms.csproj -c Debug -o /app
        USER root
        ENTRYPOINT ["dotnet", "/app/Strongroom.Kms.dll"]
        """;

    [Fact]
    public void A_deliberately_bad_Dockerfile_breaks_every_rule()
    {
        var bad = DockerfileText.Parse("bad/Dockerfile", BadDockerfile);
        Assert.NotEmpty(DockerfileRules.MultiStage(bad, AspNet));
        var restore = DockerfileRules.RestoreLayer(bad, "services/kms/Strongroom.Kms.csproj");
        Assert.Contains(restore, p => p.Contains("'.' is copied before the restore", StringComparison.Ordinal));
        Assert.Contains(restore, p => p.Contains("not its own folder", StringComparison.Ordinal));
        Assert.Contains(restore, p => p.Contains("Strongroom.Hosting.csproj is referenced but not copied", StringComparison.Ordinal));
        Assert.Contains(restore, p => p.Contains("publish line", StringComparison.Ordinal));
        Assert.NotEmpty(DockerfileRules.NonRoot(bad));
        Assert.NotEmpty(DockerfileRules.HealthCheck(bad));
        var copies = DockerfileRules.CopySourcesExist(bad, RepoPaths.Root, ["**/obj", "no"]);
        Assert.Contains(copies, p => p.Contains("no/such/folder/", StringComparison.Ordinal));
        Assert.NotEmpty(DockerfileRules.HealthCheck(DockerfileText.Parse("d", "FROM x\nHEALTHCHECK CMD [\"curl\", \"-fsS\", \"http://127.0.0.1:9090/healthz\"]\nENV Strongroom__Listeners__Health=127.0.0.1:8080\n")));
    }
}
