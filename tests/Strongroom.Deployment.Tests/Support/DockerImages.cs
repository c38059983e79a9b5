namespace Strongroom.Deployment.Tests.Support;

/// <summary>
/// The seven images: what each must publish and run on, and each as docker-compose builds it (the
/// one Dockerfile at the service's build.target with its build.args).
/// </summary>
public static class DockerImages
{
    public const string AspNet = "mcr.microsoft.com/dotnet/aspnet:10.0";

    public const string Runtime = "mcr.microsoft.com/dotnet/runtime:10.0";

    /// <summary>Image (its compose service) → the project it publishes and the runtime image under it.</summary>
    public static IReadOnlyDictionary<string, (string Project, string Runtime)> Expected { get; } = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["kms"] = ("services/kms/Strongroom.Kms.csproj", AspNet),
        ["keyservice"] = ("services/keyservice/Strongroom.KeyService.csproj", AspNet),
        ["signer"] = ("services/signer/Strongroom.Signer.csproj", AspNet),
        ["storage"] = ("services/storage/Strongroom.Storage.csproj", AspNet),
        ["runner"] = ("services/runner/Strongroom.Runner.csproj", AspNet),
        ["edge"] = ("services/edge/Strongroom.Edge.csproj", AspNet),
        [CallGraph.OperatorTool] = ("tools/Strongroom.Cli/Strongroom.Cli.csproj", Runtime),
    };

    /// <summary>Every project some image publishes or references: what the shared restore layer may copy.</summary>
    public static IReadOnlySet<string> SharedProjects { get; } =
        Expected.Values.SelectMany(e => DockerfileRules.ProjectClosure(e.Project)).ToHashSet(StringComparer.Ordinal);

    public static ComposeService Build(string image) => ComposeFile.Parse(File.ReadAllText(DeploymentFiles.Compose)).Services[image];

    /// <summary>The image as <c>docker-compose build</c> makes it.</summary>
    public static DockerfileText Built(string image) => Built(image, DockerfileText.Load(DeploymentFiles.DockerfilePath));

    /// <summary>The image compose would build from <paramref name="dockerfile"/> (a real file or a broken copy).</summary>
    public static DockerfileText Built(string image, DockerfileText dockerfile)
    {
        var build = Build(image);
        return dockerfile.Image(build.Target ?? throw new InvalidOperationException($"{image}: no build.target"), build.BuildArgs);
    }
}
