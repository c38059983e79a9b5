using Strongroom.Deployment.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The Dockerfile rules can fail: each flags a copy of the real Dockerfile broken in the way it
/// guards against (the unbroken file passes), a deliberately bad file breaks every rule, and the
/// per-image reading substitutes build args the way Docker does.
/// </summary>
public sealed class DockerfileRulesSelfTests
{
    private sealed record Breakage(string Image, string Old, string New, Func<DockerfileText, IReadOnlyList<string>> Rule);

    private static IReadOnlyList<string> Restore(DockerfileText d, string image) =>
        DockerfileRules.RestoreLayer(d, DockerImages.Expected[image].Project, DockerImages.SharedProjects);

    private static readonly Dictionary<string, Breakage> Breakages = new(StringComparer.Ordinal)
    {
        ["the service stage forgets ARG SERVICE"] = new("kms", "ARG SERVICE\n# The data folder", "# The data folder", d => DockerfileRules.DataFolder(d, "kms")),
        ["the data folder readable by others"] = new("signer", "chmod 0700", "chmod 0755", d => DockerfileRules.DataFolder(d, "signer")),
        ["kms does not copy the published app"] = new("kms", "FROM service AS kms\nCOPY --from=build /app ./\n", "FROM service AS kms\n", d => DockerfileRules.StartsAssembly(d, "Strongroom.Kms")),
        ["edge's entry point from a build arg"] = new(
            "edge", "ENTRYPOINT [\"dotnet\", \"/app/Strongroom.Edge.dll\"]", "ARG ASSEMBLY=Strongroom.Edge\nENTRYPOINT [\"dotnet\", \"/app/${ASSEMBLY}.dll\"]", d => DockerfileRules.StartsAssembly(d, "Strongroom.Edge")),
        ["KeyCustody missing from the restore layer"] = new(
            "keyservice", "COPY libs/Strongroom.KeyCustody/Strongroom.KeyCustody.csproj libs/Strongroom.KeyCustody/\n", "", d => Restore(d, "keyservice")),
        ["a test project copied for the restore"] = new(
            "kms", "COPY tools/Strongroom.Stack/Strongroom.Stack.csproj", "COPY tests/Strongroom.Testing/Strongroom.Testing.csproj tests/Strongroom.Testing/\nCOPY tools/Strongroom.Stack/Strongroom.Stack.csproj", d => Restore(d, "kms")),
        ["sources copied before the restore"] = new("signer", "RUN dotnet restore ${PROJECT_DIR}\n", "COPY libs/ libs/\nRUN dotnet restore ${PROJECT_DIR}\n", d => Restore(d, "signer")),
        ["a Debug publish"] = new("storage", "-c Release --no-restore", "-c Debug --no-restore", d => Restore(d, "storage")),
        ["the project folder ignores SERVICE"] = new("edge", "ARG PROJECT_DIR=services/${SERVICE}", "ARG PROJECT_DIR=services/kms", d => Restore(d, "edge")),
        ["the runner stays root after its install"] = new("runner", "USER 64198:64198\nCOPY --from=build /app ./\nEXPOSE 7405", "COPY --from=build /app ./\nEXPOSE 7405", DockerfileRules.NonRoot),
        ["storage hides its read-only listener"] = new("storage", "EXPOSE 7404 7414 7424", "EXPOSE 7404 7414", d => DockerfileRules.Exposes(d, ["7404", "7414", "7424"])),
        ["the cli on the aspnet image"] = new(
            "cli", "FROM mcr.microsoft.com/dotnet/runtime:10.0 AS cli", "FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS cli", d => DockerfileRules.MultiStage(d, DockerImages.Runtime)),
        ["the health check probes a port nothing listens on"] = new("edge", "http://127.0.0.1:8080/healthz", "http://127.0.0.1:9090/healthz", DockerfileRules.HealthCheck),
    };

    public static TheoryData<string> BreakageNames() => [.. Breakages.Keys];

    [Theory]
    [MemberData(nameof(BreakageNames))]
    public void Each_rule_flags_the_breakage_it_guards_against(string name)
    {
        var b = Breakages[name];
        var text = File.ReadAllText(DeploymentFiles.Dockerfile);
        Assert.Contains(b.Old, text, StringComparison.Ordinal);
        Assert.Empty(b.Rule(DockerImages.Built(b.Image, DockerfileText.Parse(DeploymentFiles.DockerfilePath, text))));
        Assert.NotEmpty(b.Rule(DockerImages.Built(b.Image, DockerfileText.Parse(DeploymentFiles.DockerfilePath, text.Replace(b.Old, b.New, StringComparison.Ordinal)))));
    }

    [Fact]
    public void A_build_arg_no_stage_declares_is_flagged()
    {
        var kms = DockerImages.Built("kms");
        Assert.Empty(DockerfileRules.BuildArgsDeclared(kms, new Dictionary<string, string> { ["SERVICE"] = "kms" }));
        Assert.NotEmpty(DockerfileRules.BuildArgsDeclared(kms, new Dictionary<string, string> { ["SERVCE"] = "kms" }));
    }

    private const string Staged = """
        ARG BASE=mcr.microsoft.com/dotnet/sdk:10.0
        FROM ${BASE} AS build
        ARG NAME
        ARG DIR=services/${NAME}
        RUN echo ${DIR} $NAME $OTHER
        FROM busybox AS unused
        RUN never
        FROM alpine AS base
        RUN echo ${DIR}
        ENTRYPOINT ["x", "${NAME}"]
        FROM base AS app
        COPY --from=build /out ./
        USER 1:1
        """;

    [Fact]
    public void An_image_is_its_targets_stages_with_args_substituted_per_stage_like_docker()
    {
        var app = DockerfileText.Parse("staged", Staged).Image("app", new Dictionary<string, string> { ["NAME"] = "kms" });

        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0 AS build", "alpine AS base"], app.All("FROM").Select(f => f.Arguments));
        Assert.Equal(["echo services/kms kms ", "echo "], app.All("RUN").Select(r => r.Arguments));
        Assert.Equal("[\"x\", \"${NAME}\"]", app.All("ENTRYPOINT").Single().Arguments);
        Assert.Equal("1:1", app.FinalUser);
        Assert.Contains(app.FinalStage, i => i.Keyword == "COPY");
        Assert.Equal(["BASE", "DIR", "NAME"], app.DeclaredArgs.Order(StringComparer.Ordinal));
        Assert.Throws<ArgumentException>(() => DockerfileText.Parse("staged", Staged).Image("nope", new Dictionary<string, string>()));
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
        ENTRYPOINT ["dotnet", "/app/kms.dll"]
        """;

    [Fact]
    public void A_deliberately_bad_Dockerfile_breaks_every_rule()
    {
        var bad = DockerfileText.Parse("bad/Dockerfile", BadDockerfile);
        Assert.NotEmpty(DockerfileRules.MultiStage(bad, DockerImages.AspNet));
        var restore = DockerfileRules.RestoreLayer(bad, "services/kms/Strongroom.Kms.csproj", new HashSet<string>());
        Assert.Contains(restore, p => p.Contains("'.' is copied before the restore", StringComparison.Ordinal));
        Assert.Contains(restore, p => p.Contains("not its own folder", StringComparison.Ordinal));
        Assert.Contains(restore, p => p.Contains("Strongroom.Hosting.csproj is referenced but not copied", StringComparison.Ordinal));
        Assert.Contains(restore, p => p.Contains("publish line", StringComparison.Ordinal));
        Assert.NotEmpty(DockerfileRules.NonRoot(bad));
        Assert.NotEmpty(DockerfileRules.HealthCheck(bad));
        Assert.Equal(2, DockerfileRules.StartsAssembly(bad, "Strongroom.Kms").Count);
        Assert.Equal(5, DockerfileRules.DataFolder(bad, "kms").Count);
        Assert.NotEmpty(DockerfileRules.Exposes(bad, ["7401", "7411"]));
        var copies = DockerfileRules.CopySourcesExist(bad, RepoPaths.Root, ["**/obj", "no"]);
        Assert.Contains(copies, p => p.Contains("no/such/folder/", StringComparison.Ordinal));
        Assert.NotEmpty(DockerfileRules.CopySourcesExist(DockerfileText.Parse("d", "COPY services/kms/*.nothing x/\n"), RepoPaths.Root, []));
        Assert.NotEmpty(DockerfileRules.HealthCheck(DockerfileText.Parse("d", "FROM x\nHEALTHCHECK CMD [\"curl\", \"-fsS\", \"http://127.0.0.1:9090/healthz\"]\nENV Strongroom__Listeners__Health=127.0.0.1:8080\n")));
    }
}
