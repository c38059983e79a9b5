namespace Strongroom.Deployment.Tests;

/// <summary>The per-image reading of a multi-target Dockerfile substitutes build args the way Docker does.</summary>
public sealed class DockerfileRulesSelfTests
{
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
}
