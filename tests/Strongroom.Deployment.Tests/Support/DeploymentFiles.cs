using Strongroom.Testing;

namespace Strongroom.Deployment.Tests.Support;

/// <summary>Where the deployment files live in the repository.</summary>
public static class DeploymentFiles
{
    public static string Compose => Path.Combine(RepoPaths.Root, "docker-compose.yml");

    public static string KubernetesFolder => Path.Combine(RepoPaths.Root, "deploy", "k8s");

    public static IEnumerable<string> KubernetesManifests =>
        Directory.EnumerateFiles(KubernetesFolder, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public static string Dockerfile(string service) => Path.Combine(RepoPaths.Root, "services", service, "Dockerfile");
}
