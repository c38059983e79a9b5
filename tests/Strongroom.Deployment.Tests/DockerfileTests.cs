using Strongroom.Deployment.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// Every image builds the way DESIGN §8 asks: multi-stage, restore layer cached, non-root, health
/// check, every COPY source in the build context. All seven are stages of the one root Dockerfile;
/// each rule reads the image compose builds (its target, its build args), so a rule holds per
/// image, not per file. No Docker engine here: the file is read, and scripts/check-containers.sh
/// runs each image's restore and publish commands for real.
/// </summary>
public sealed class DockerfileTests
{
    public static TheoryData<string> Images() => [.. DockerImages.Expected.Keys];

    public static TheoryData<string> Services() => [.. CallGraph.Services];

    public static TheoryData<string> ServicesButTheRunner() => [.. CallGraph.Services.Where(s => s != "runner")];

    [Theory]
    [MemberData(nameof(Images))]
    public void Built_in_the_sdk_and_run_in_a_runtime_image(string image) =>
        Assert.Empty(DockerfileRules.MultiStage(DockerImages.Built(image), DockerImages.Expected[image].Runtime));

    [Theory]
    [MemberData(nameof(Images))]
    public void Restores_from_project_files_alone_before_copying_sources_then_publishes_Release_without_restoring(string image) =>
        Assert.Empty(DockerfileRules.RestoreLayer(DockerImages.Built(image), DockerImages.Expected[image].Project, DockerImages.SharedProjects));

    [Theory]
    [MemberData(nameof(Images))]
    public void Runs_as_a_non_root_user(string image) => Assert.Empty(DockerfileRules.NonRoot(DockerImages.Built(image)));

    [Theory]
    [MemberData(nameof(Images))]
    public void Every_COPY_source_exists_and_is_in_the_build_context(string image)
    {
        var d = DockerImages.Built(image);
        Assert.NotEmpty(d.CopySources());
        Assert.Empty(DockerfileRules.CopySourcesExist(d, RepoPaths.Root, DockerfileRules.DockerIgnorePatterns(RepoPaths.Root)));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Starts_the_assembly_its_project_publishes(string image) =>
        Assert.Empty(DockerfileRules.StartsAssembly(DockerImages.Built(image), DockerfileRules.AssemblyName(DockerImages.Expected[image].Project)));

    [Theory]
    [MemberData(nameof(Images))]
    public void Declares_every_build_arg_compose_passes(string image)
    {
        var build = DockerImages.Build(image);
        Assert.NotEmpty(build.BuildArgs);
        Assert.Empty(DockerfileRules.BuildArgsDeclared(DockerImages.Built(image), build.BuildArgs));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_service_image_has_a_health_check_on_its_loopback_probe_listener(string service) =>
        Assert.Empty(DockerfileRules.HealthCheck(DockerImages.Built(service)));

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_service_image_has_its_identity_and_a_0700_data_folder_owned_by_its_user(string service) =>
        Assert.Empty(DockerfileRules.DataFolder(DockerImages.Built(service), service));

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_service_image_exposes_exactly_the_ports_compose_has_it_listen_on(string service)
    {
        var ports = DockerImages.Build(service).Environment.Values
            .Where(v => v.StartsWith("0.0.0.0:", StringComparison.Ordinal))
            .Select(v => v["0.0.0.0:".Length..])
            .ToList();
        Assert.NotEmpty(ports);
        Assert.Empty(DockerfileRules.Exposes(DockerImages.Built(service), ports));
    }

    [Fact]
    public void Compose_builds_every_image_from_the_one_Dockerfile_at_its_own_target()
    {
        var compose = ComposeFile.Parse(File.ReadAllText(DeploymentFiles.Compose));
        foreach (var s in CallGraph.Services)
        {
            Assert.Equal(DeploymentFiles.DockerfilePath, compose.Services[s].Dockerfile);
            Assert.Equal(s, compose.Services[s].Target);
            Assert.Equal(new Dictionary<string, string> { ["SERVICE"] = s }, compose.Services[s].BuildArgs);
        }

        var cli = compose.Services[CallGraph.OperatorTool];
        Assert.Equal((DeploymentFiles.DockerfilePath, CallGraph.OperatorTool), (cli.Dockerfile, cli.Target));
        Assert.Equal(new Dictionary<string, string> { ["PROJECT_DIR"] = "tools/Strongroom.Cli" }, cli.BuildArgs);

        // One file: no per-project Dockerfile comes back beside it.
        var others = new[] { "services", "tools" }
            .SelectMany(r => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, r), "Dockerfile*", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f));
        Assert.Empty(others);
    }

    [Fact]
    public void The_cli_image_runs_no_listener_and_so_has_no_health_check()
    {
        var d = DockerImages.Built(CallGraph.OperatorTool);
        Assert.Equal("NONE", d.FinalStage.Single(i => i.Keyword == "HEALTHCHECK").Arguments);
        Assert.DoesNotContain(d.FinalStage, i => i.Keyword == "EXPOSE");
        Assert.DoesNotContain(d.FinalStage, i => i.Arguments.Contains("Strongroom__Listeners", StringComparison.Ordinal));
    }

    [Fact]
    public void The_runner_image_has_bubblewrap_python_and_the_jobs_where_JobsRoot_points()
    {
        var d = DockerImages.Built("runner");
        var installs = string.Join(' ', d.FinalStage.Where(i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get install", StringComparison.Ordinal)).Select(i => i.Arguments));
        Assert.Contains("bubblewrap", installs, StringComparison.Ordinal);
        Assert.Contains("python3", installs, StringComparison.Ordinal);
        Assert.Contains(d.FinalStage, i => i.Keyword == "COPY" && i.Arguments == "examples/jobs/ /opt/strongroom/examples/jobs/");
        Assert.Contains(d.FinalStage, i => i.Keyword == "ENV" && i.Arguments.Contains("Runner__JobsRoot=/opt/strongroom", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ServicesButTheRunner))]
    public void No_other_service_image_gets_the_sandbox_packages_or_the_sample_jobs(string service)
    {
        var d = DockerImages.Built(service);
        Assert.DoesNotContain(d.FinalStage, i => i.Arguments.Contains("bubblewrap", StringComparison.Ordinal) || i.Arguments.Contains("python3", StringComparison.Ordinal));
        Assert.DoesNotContain(d.FinalStage, i => i.Arguments.Contains("examples/jobs", StringComparison.Ordinal) || i.Arguments.Contains("Runner__", StringComparison.Ordinal));
        Assert.DoesNotContain(d.FinalStage, i => i.Keyword == "USER" && !ComposeRules.IsNonRootUser(i.Arguments));
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
}
