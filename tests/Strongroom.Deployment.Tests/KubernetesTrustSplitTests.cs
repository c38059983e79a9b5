using k8s.Models;
using Strongroom.Deployment.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The trust split, proven from deploy/k8s/ as written: every YAML document parsed with the
/// KubernetesClient loader, each rule checked on both variants (local-kms and cloud-kms).
/// KubernetesCheckerSelfTests proves each rule can fail.
/// </summary>
public sealed class KubernetesTrustSplitTests
{
    public static TheoryData<string> Variants => new(KubernetesManifests.Variants);

    public static TheoryData<string, string> Checks()
    {
        var data = new TheoryData<string, string>();
        foreach (var variant in KubernetesManifests.Variants)
        {
            foreach (var check in KubernetesChecks.All.Keys)
            {
                data.Add(variant, check);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Checks))]
    public void Each_trust_split_rule_holds_for_each_variant(string variant, string check)
    {
        var violations = KubernetesChecks.All[check](KubernetesManifests.Load(variant));
        Assert.True(violations.Count == 0, $"{variant} {check}:\n  " + string.Join("\n  ", violations));
    }

    [Fact]
    public void Every_yaml_file_parses_into_known_objects_in_the_namespace_and_belongs_to_a_variant()
    {
        var files = DeploymentFiles.KubernetesManifests.ToList();
        Assert.NotEmpty(files);
        var covered = KubernetesManifests.Variants.SelectMany(KubernetesManifests.FilesOf).ToHashSet(StringComparer.Ordinal);
        Assert.All(files, f => Assert.Contains(f, covered));
        foreach (var file in files)
        {
            var objects = k8s.KubernetesYaml.LoadAllFromString(File.ReadAllText(file));
            Assert.NotEmpty(objects);
            foreach (var o in objects)
            {
                var meta = Assert.IsAssignableFrom<k8s.IKubernetesObject<V1ObjectMeta>>(o).Metadata;
                if (o is V1Namespace ns)
                {
                    Assert.Equal(KubernetesManifests.Namespace, ns.Metadata.Name);
                }
                else
                {
                    Assert.True(meta?.NamespaceProperty == KubernetesManifests.Namespace, $"{file}: {o.GetType().Name} {meta?.Name} is not in namespace strongroom");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_variant_deploys_the_services_it_says(string variant)
    {
        var m = KubernetesManifests.Load(variant);
        var deployed = m.All<V1Deployment>().Select(d => d.Metadata.Name).Order().ToList();
        Assert.Equal(m.Services.Order(), deployed);
        Assert.Equal(variant == "local-kms", deployed.Contains("kms"));
    }

    [Fact]
    public void The_namespace_enforces_the_restricted_pod_security_standard()
    {
        var ns = Assert.Single(KubernetesManifests.Load("local-kms").All<V1Namespace>());
        Assert.Equal("restricted", ns.Metadata.Labels["pod-security.kubernetes.io/enforce"]);
    }

    [Fact]
    public void The_kms_passphrase_reaches_only_an_init_container_and_a_memory_volume_of_the_kms()
    {
        var spec = KubernetesManifests.Load("local-kms").Deployment("kms")!.Spec.Template.Spec;
        var secretVolume = Assert.Single(spec.Volumes, v => v.Secret?.SecretName == "kms-passphrase").Name;
        Assert.All(spec.Containers, c => Assert.DoesNotContain(c.VolumeMounts ?? [], vm => vm.Name == secretVolume));
        Assert.Contains(spec.InitContainers, c => c.VolumeMounts.Any(vm => vm.Name == secretVolume));
        var kms = Assert.Single(spec.Containers);
        var file = KubernetesManifests.EnvValue(kms, "Kms__PassphraseFile")!;
        var mount = Assert.Single(kms.VolumeMounts, vm => file.StartsWith(vm.MountPath + "/", StringComparison.Ordinal));
        Assert.Equal("Memory", spec.Volumes.Single(v => v.Name == mount.Name).EmptyDir?.Medium);
    }

    [Fact]
    public void The_runner_sandbox_needs_no_privilege_and_its_profiles_are_shipped()
    {
        var spec = KubernetesManifests.Load("local-kms").Deployment("runner")!.Spec.Template.Spec;
        var c = Assert.Single(spec.Containers);
        Assert.Equal("Localhost", c.SecurityContext.SeccompProfile.Type);
        Assert.Equal("Localhost", c.SecurityContext.AppArmorProfile.Type);
        var folder = Path.Combine(DeploymentFiles.KubernetesFolder, "runner-sandbox");
        Assert.True(File.Exists(Path.Combine(folder, Path.GetFileName(c.SecurityContext.SeccompProfile.LocalhostProfile))));
        var apparmor = File.ReadAllText(Path.Combine(folder, "strongroom-runner-bwrap.apparmor"));
        Assert.Contains("profile " + c.SecurityContext.AppArmorProfile.LocalhostProfile + " ", apparmor, StringComparison.Ordinal);
        Assert.Null(c.SecurityContext.Capabilities.Add);
        Assert.NotEqual(true, c.SecurityContext.Privileged);
    }

    [Fact]
    public void The_postgres_init_gives_storage_and_runner_each_a_role_owning_only_its_schema()
    {
        var sql = File.ReadAllText(Path.Combine(DeploymentFiles.KubernetesFolder, "postgres", "init.sql"));
        foreach (var role in new[] { "storage", "runner" })
        {
            Assert.Contains($"CREATE ROLE {role} ", sql, StringComparison.Ordinal);
            Assert.Contains($"CREATE SCHEMA {role} AUTHORIZATION {role};", sql, StringComparison.Ordinal);
            Assert.Contains($"REVOKE ALL ON SCHEMA {role} FROM PUBLIC;", sql, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("SUPERUSER ", sql.Replace("NOSUPERUSER", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void No_file_under_deploy_k8s_names_a_service_account_key_file_or_the_ca_key()
    {
        foreach (var file in Directory.EnumerateFiles(DeploymentFiles.KubernetesFolder, "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("GOOGLE_APPLICATION_CREDENTIALS", text, StringComparison.Ordinal);
            Assert.DoesNotContain("key.json", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("ca.key", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("BEGIN PRIVATE KEY", text, StringComparison.Ordinal);
        }

        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Root, "deploy", "k8s")));
    }
}
