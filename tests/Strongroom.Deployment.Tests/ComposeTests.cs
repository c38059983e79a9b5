using Strongroom.Deployment.Tests.Support;

namespace Strongroom.Deployment.Tests;

/// <summary>docker-compose.yml keeps the trust split (DESIGN §1, §2, §8). Parsed, never run (no Docker engine here).</summary>
public sealed class ComposeTests
{
    private static ComposeFile Compose() => ComposeFile.Parse(File.ReadAllText(DeploymentFiles.Compose));

    [Fact]
    public void The_stack_is_every_service_plus_the_cli_in_its_own_profile()
    {
        var compose = Compose();
        Assert.Equal(CallGraph.Services.Append(CallGraph.OperatorTool).Order(StringComparer.Ordinal), compose.Services.Keys.Order(StringComparer.Ordinal), StringComparer.Ordinal);
        Assert.All(CallGraph.Services, s => Assert.Empty(compose.Services[s].Profiles));
        Assert.Equal(["cli"], compose.Services[CallGraph.OperatorTool].Profiles);
    }

    [Fact]
    public void Only_the_edge_publishes_a_port_and_only_7443() => Assert.Empty(ComposeRules.OnlyEdgePublishes(Compose()));

    [Fact]
    public void Only_the_edge_is_on_a_network_with_a_route_out() => Assert.Empty(ComposeRules.OnlyEdgeOnExternalNetworks(Compose()));

    [Fact]
    public void The_kms_passphrase_is_a_secret_of_kms_alone_and_never_beside_an_application_key_store()
    {
        var compose = Compose();
        Assert.Empty(ComposeRules.PassphraseApartFromKeyStores(compose));
        Assert.Equal(["kms-passphrase"], compose.Services["kms"].Secrets);
        Assert.Equal("/run/secrets/kms-passphrase", compose.Services["kms"].Env("Kms__PassphraseFile"));
    }

    [Fact]
    public void Each_service_mounts_only_its_own_certificate_and_key_and_the_CA_key_is_mounted_nowhere() =>
        Assert.Empty(ComposeRules.OwnCertificatesOnly(Compose()));

    [Fact]
    public void Every_service_has_its_own_identity_and_certificate() => Assert.Empty(ComposeRules.OwnIdentity(Compose()));

    [Fact]
    public void Every_container_is_non_root_with_a_read_only_root_filesystem_and_no_added_capability() =>
        Assert.Empty(ComposeRules.NonRootReadOnly(Compose()));

    [Fact]
    public void Every_service_built_from_a_Dockerfile_whose_USER_is_non_root()
    {
        foreach (var s in Compose().Services.Values)
        {
            Assert.NotNull(s.Dockerfile);
            var image = DockerImages.Built(s.Name);
            Assert.True(ComposeRules.IsNonRootUser(image.FinalUser), $"{image.Path}: USER {image.FinalUser}");
        }
    }

    [Fact]
    public void No_named_volume_is_shared_and_every_store_is_on_its_services_own_volume()
    {
        var compose = Compose();
        Assert.Empty(ComposeRules.VolumesNotShared(compose));
        Assert.Empty(ComposeRules.StoresOnNamedVolumes(compose));
        foreach (var s in CallGraph.Services)
        {
            Assert.Contains(compose.Services[s].Mounts, m => m.IsNamedVolume && m.Source == s + "-data");
        }
    }

    [Fact]
    public void The_services_downstream_addresses_are_exactly_the_call_graph() => Assert.Empty(ComposeRules.CallsMatchCallGraph(Compose()));

    [Fact]
    public void The_cli_reaches_admin_listeners_as_the_operator_with_no_service_key()
    {
        var cli = Compose().Services[CallGraph.OperatorTool];
        Assert.Contains(cli.Mounts, m => ComposeRules.Normalize(m.Source) == ComposeRules.PkiRoot + "/operator-admin");
        Assert.Equal(["operator-signing-key"], cli.Secrets);
        Assert.Equal(["backend"], cli.Networks);
    }

    [Fact]
    public void Only_the_runner_lifts_seccomp_and_AppArmor_for_bubblewrap_and_nobody_gains_privileges()
    {
        foreach (var s in Compose().Services.Values)
        {
            Assert.Contains("no-new-privileges:true", s.SecurityOpt);
            Assert.Empty(s.CapAdd);
            Assert.False(s.Privileged);
            var lifted = s.SecurityOpt.Where(o => o.EndsWith("=unconfined", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(s.Name == "runner" ? ["apparmor=unconfined", "seccomp=unconfined", "systempaths=unconfined"] : [], lifted);
        }
    }
}
