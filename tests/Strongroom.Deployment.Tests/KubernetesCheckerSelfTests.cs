using k8s.Models;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// Negative self-checks: each rule of <see cref="KubernetesChecks"/> flags a deliberately broken copy
/// of the real manifests (changed in memory) and a small hand-written bad manifest, so a passing
/// trust-split test means the files are right, not that the checker is blind.
/// </summary>
public sealed class KubernetesCheckerSelfTests
{
    private static V1PodSpec Pod(KubernetesManifests m, string service) => m.Deployment(service)!.Spec.Template.Spec;

    private static V1Container MainOf(KubernetesManifests m, string service) => Pod(m, service).Containers.Single(c => c.Name == service);

    private static V1NetworkPolicy Policy(KubernetesManifests m, string service) => m.All<V1NetworkPolicy>().Single(p => p.Metadata.Name == service);

    private static void Flags(Func<KubernetesManifests, List<string>> check, KubernetesManifests broken, string expected)
    {
        var violations = check(broken);
        Assert.True(violations.Any(x => x.Contains(expected, StringComparison.Ordinal)),
            $"expected a violation containing \"{expected}\", got:\n  " + string.Join("\n  ", violations));
    }

    public static TheoryData<string> Variants => new(KubernetesManifests.Variants);

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_unchanged_files_pass_so_each_flag_below_comes_from_its_change(string variant)
    {
        foreach (var (name, check) in KubernetesChecks.All)
        {
            Assert.True(check(KubernetesManifests.Load(variant)).Count == 0, name);
        }
    }

    [Fact]
    public void Flags_a_missing_NetworkPolicy_or_ServiceAccount()
    {
        var m = KubernetesManifests.Load("local-kms");
        var without = new KubernetesManifests(m.Variant, m.Objects.Where(o => !(o.Object is V1NetworkPolicy p && p.Metadata.Name == "signer")).ToList());
        Flags(KubernetesChecks.EveryServiceHasItsObjects, without, "signer: no NetworkPolicy");
        var noSa = new KubernetesManifests(m.Variant, m.Objects.Where(o => !(o.Object is V1ServiceAccount s && s.Metadata.Name == "runner")).ToList());
        Flags(KubernetesChecks.EveryServiceHasItsObjects, noSa, "runner: no ServiceAccount");
    }

    [Fact]
    public void Flags_the_kms_passphrase_mounted_beside_an_application_key_store()
    {
        var m = KubernetesManifests.Load("local-kms");
        Pod(m, "keyservice").Volumes.Add(new V1Volume { Name = "p", Secret = new V1SecretVolumeSource { SecretName = "kms-passphrase" } });
        Flags(KubernetesChecks.SecretsAreSplit, m, "reads the kms passphrase and the application-key store keyservice-data");

        var k = KubernetesManifests.Load("local-kms");
        Pod(k, "kms").Volumes.Add(new V1Volume { Name = "s", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "signer-data" } });
        Flags(KubernetesChecks.SecretsAreSplit, k, "reads the kms passphrase and the application-key store signer-data");
    }

    [Fact]
    public void Flags_another_services_TLS_secret_through_env_or_a_projected_volume_and_key_files()
    {
        var m = KubernetesManifests.Load("cloud-kms");
        MainOf(m, "runner").Env.Add(new V1EnvVar { Name = "X", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = "tls.key", Name = "signer-tls" } } });
        Flags(KubernetesChecks.SecretsAreSplit, m, "reads Secret signer-tls of signer");

        var p = KubernetesManifests.Load("cloud-kms");
        Pod(p, "edge").Volumes.Add(new V1Volume { Name = "x", Projected = new V1ProjectedVolumeSource { Sources = [new V1VolumeProjection { Secret = new V1SecretProjection { Name = "keyservice-tls" } }] } });
        Flags(KubernetesChecks.SecretsAreSplit, p, "reads Secret keyservice-tls of keyservice");

        var g = KubernetesManifests.Load("cloud-kms");
        MainOf(g, "signer").Env.Add(new V1EnvVar { Name = "GOOGLE_APPLICATION_CREDENTIALS", Value = "/var/run/gsa/key.json" });
        Flags(KubernetesChecks.SecretsAreSplit, g, "GOOGLE_APPLICATION_CREDENTIALS");
    }

    [Fact]
    public void Flags_a_Role_reading_another_services_secret_a_wildcard_and_a_foreign_binding()
    {
        var m = KubernetesManifests.Load("local-kms");
        m.All<V1Role>().Single(r => r.Metadata.Name == "keyservice-secrets").Rules[0].ResourceNames.Add("kms-passphrase");
        Flags(KubernetesChecks.NoServiceAccountReadsAnotherServicesSecrets, m, "grants Secret kms-passphrase, which is not its own");

        var w = KubernetesManifests.Load("local-kms");
        var rule = w.All<V1Role>().Single(r => r.Metadata.Name == "signer-secrets").Rules[0];
        rule.ResourceNames = null;
        rule.Verbs = ["get", "list"];
        Flags(KubernetesChecks.NoServiceAccountReadsAnotherServicesSecrets, w, "without resourceNames");
        Flags(KubernetesChecks.NoServiceAccountReadsAnotherServicesSecrets, w, "get,list on Secrets");

        var b = KubernetesManifests.Load("local-kms");
        b.All<V1RoleBinding>().Single(r => r.Metadata.Name == "kms-secrets").Subjects.Add(new Rbacv1Subject { Kind = "ServiceAccount", Name = "keyservice", NamespaceProperty = "strongroom" });
        Flags(KubernetesChecks.NoServiceAccountReadsAnotherServicesSecrets, b, "not only ServiceAccount kms");
    }

    [Fact]
    public void Flags_a_second_externally_exposed_service()
    {
        var m = KubernetesManifests.Load("local-kms");
        m.All<V1Service>().Single(s => s.Metadata.Name == "storage").Spec.Type = "NodePort";
        Flags(KubernetesChecks.OnlyTheEdgeIsExposed, m, "type NodePort exposes storage");

        var a = KubernetesManifests.Load("local-kms");
        a.All<V1Service>().Single(s => s.Metadata.Name == "edge").Spec.Ports.Add(new V1ServicePort { Port = 7453, Name = "admin", TargetPort = "admin" });
        Flags(KubernetesChecks.OnlyTheEdgeIsExposed, a, "only its client port");
    }

    [Fact]
    public void Flags_root_writable_escalating_or_capable_containers_and_missing_probes()
    {
        var m = KubernetesManifests.Load("local-kms");
        MainOf(m, "runner").SecurityContext.ReadOnlyRootFilesystem = false;
        MainOf(m, "storage").SecurityContext.AllowPrivilegeEscalation = true;
        MainOf(m, "edge").SecurityContext.Capabilities.Add = ["SYS_ADMIN"];
        Pod(m, "kms").InitContainers[0].SecurityContext.RunAsUser = 0;
        Pod(m, "signer").SecurityContext.SeccompProfile = new V1SeccompProfile { Type = "Unconfined" };
        MainOf(m, "keyservice").LivenessProbe.HttpGet.Path = "/";
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "Deployment/runner/runner: readOnlyRootFilesystem");
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "Deployment/storage/storage: allowPrivilegeEscalation");
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "adds capabilities SYS_ADMIN");
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "Deployment/kms/passphrase: runAsUser");
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "Deployment/signer/signer: seccomp profile Unconfined");
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "keyservice: liveness probe");
    }

    [Fact]
    public void Flags_a_borrowed_identity()
    {
        var m = KubernetesManifests.Load("cloud-kms");
        Pod(m, "signer").ServiceAccountName = "storage";
        Flags(KubernetesChecks.EveryServiceHasItsOwnIdentity, m, "signer: runs as ServiceAccount storage");
        Flags(KubernetesChecks.EveryServiceHasItsOwnIdentity, m, "shares ServiceAccount storage");

        var t = KubernetesManifests.Load("cloud-kms");
        Pod(t, "runner").Volumes.Single(v => v.Name == "tls").Secret.SecretName = "edge-tls";
        Flags(KubernetesChecks.EveryServiceHasItsOwnIdentity, t, "runner: mounts TLS Secrets [edge-tls]");
    }

    [Fact]
    public void Flags_a_network_edge_outside_the_call_graph_and_a_missing_one()
    {
        var m = KubernetesManifests.Load("local-kms");
        Policy(m, "kms").Spec.Ingress.Add(new V1NetworkPolicyIngressRule
        {
            FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [KubernetesManifests.NameLabel] = "runner" } } }],
            Ports = [new V1NetworkPolicyPort { Port = 7411, Protocol = "TCP" }],
        });
        Flags(KubernetesChecks.NetworkGraphIsTheCallGraph, m, "ingress: runner -> kms is allowed but is not a call");

        var e = KubernetesManifests.Load("local-kms");
        Policy(e, "edge").Spec.Egress.RemoveAt(0);
        Flags(KubernetesChecks.NetworkGraphIsTheCallGraph, e, "egress: edge -> keyservice of DESIGN §2 is not allowed");

        var open = KubernetesManifests.Load("local-kms");
        Policy(open, "signer").Spec.Ingress.Add(new V1NetworkPolicyIngressRule());
        Flags(KubernetesChecks.NetworkGraphIsTheCallGraph, open, "signer: an ingress rule without peers or ports");

        var kmsOut = KubernetesManifests.Load("local-kms");
        Policy(kmsOut, "runner").Spec.Egress.Add(new V1NetworkPolicyEgressRule { Ports = [new V1NetworkPolicyPort { Port = 443, Protocol = "TCP" }], To = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "199.36.153.8/30" } }] });
        Flags(KubernetesChecks.NetworkGraphIsTheCallGraph, kmsOut, "runner: egress to CloudKms");

        var noDeny = KubernetesManifests.Load("cloud-kms");
        var filtered = new KubernetesManifests(noDeny.Variant, noDeny.Objects.Where(o => !(o.Object is V1NetworkPolicy p && p.Metadata.Name == "default-deny")).ToList());
        Flags(KubernetesChecks.NetworkGraphIsTheCallGraph, filtered, "no default-deny");
    }

    [Fact]
    public void Flags_key_files_missing_workload_identity_and_a_single_runner()
    {
        var m = KubernetesManifests.Load("cloud-kms");
        m.All<V1ServiceAccount>().Single(s => s.Metadata.Name == "keyservice").Metadata.Annotations.Clear();
        Deployment(m, "runner").Spec.Replicas = 1;
        Flags(KubernetesChecks.BackendsAndKms, m, "keyservice: ServiceAccount lacks its own Workload Identity");
        Flags(KubernetesChecks.BackendsAndKms, m, "runner: 1 replicas");
    }

    private static V1Deployment Deployment(KubernetesManifests m, string s) => m.Deployment(s)!;

    [Fact]
    public void Flags_a_bad_hand_written_manifest_on_every_rule_it_breaks()
    {
        const string yaml = """
            apiVersion: v1
            kind: Secret
            metadata: { name: everything, namespace: strongroom }
            stringData: { passphrase: x, "tls.key": y, "ca.key": z, "sa-key.json": w }
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: { name: runner-secrets, namespace: strongroom, labels: { app.kubernetes.io/name: runner } }
            rules: [ { apiGroups: [""], resources: ["*"], verbs: ["*"] } ]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: kms, namespace: strongroom }
            spec: { type: LoadBalancer, selector: { app.kubernetes.io/name: kms }, ports: [ { port: 7411 } ] }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: kms, namespace: strongroom }
            spec:
              podSelector: { matchLabels: { app.kubernetes.io/name: kms } }
              policyTypes: [Ingress]
              ingress: [ { from: [ { ipBlock: { cidr: 0.0.0.0/0 } } ] } ]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: kms, namespace: strongroom }
            spec:
              selector: { matchLabels: { app.kubernetes.io/name: kms } }
              template:
                metadata: { labels: { app.kubernetes.io/name: kms } }
                spec:
                  containers: [ { name: kms, image: x, securityContext: { privileged: true } } ]
                  volumes:
                  - { name: a, secret: { secretName: kms-passphrase } }
                  - { name: b, persistentVolumeClaim: { claimName: keyservice-data } }
            """;
        var m = KubernetesManifests.FromYaml("local-kms", yaml);
        Flags(KubernetesChecks.SecretsAreSplit, m, "reads the kms passphrase and the application-key store keyservice-data");
        Flags(KubernetesChecks.SecretsAreSplit, m, "Secret everything: holds both a passphrase and key material");
        Flags(KubernetesChecks.SecretsAreSplit, m, "Secret everything: holds the CA private key");
        Flags(KubernetesChecks.SecretsAreSplit, m, "Secret everything: a service-account key file");
        Flags(KubernetesChecks.NoServiceAccountReadsAnotherServicesSecrets, m, "wildcard resources");
        Flags(KubernetesChecks.OnlyTheEdgeIsExposed, m, "type LoadBalancer exposes kms");
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "Deployment/kms/kms: privileged");
        Flags(KubernetesChecks.ContainersAreLockedDown, m, "Deployment/kms/kms: runAsNonRoot");
        Flags(KubernetesChecks.EveryServiceHasItsOwnIdentity, m, "Deployment/kms: runs as the default ServiceAccount");
        Flags(KubernetesChecks.EveryServiceHasItsObjects, m, "edge: expected exactly one Deployment");
        Flags(KubernetesChecks.NetworkGraphIsTheCallGraph, m, "kms: an ingress rule without peers or ports");
        Flags(KubernetesChecks.NetworkGraphIsTheCallGraph, m, "policyTypes must be Ingress and Egress");
    }
}
