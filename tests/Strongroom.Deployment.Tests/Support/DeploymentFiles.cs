using Strongroom.Testing;

namespace Strongroom.Deployment.Tests.Support;

/// <summary>Where the deployment files live in the repository.</summary>
public static class DeploymentFiles
{
    public static string Compose => Path.Combine(RepoPaths.Root, "docker-compose.yml");

    public static string KubernetesFolder => Path.Combine(RepoPaths.Root, "deploy", "k8s");

    public static IEnumerable<string> KubernetesManifests =>
        Directory.EnumerateFiles(KubernetesFolder, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>The one Dockerfile every image is a stage of (repository-relative, as compose names it).</summary>
    public const string DockerfilePath = "Dockerfile";

    public static string Dockerfile => Path.Combine(RepoPaths.Root, DockerfilePath);
}
