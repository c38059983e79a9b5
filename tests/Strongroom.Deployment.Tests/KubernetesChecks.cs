using k8s.Models;
using Strongroom.Deployment.Tests.Support;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The trust-split rules over parsed Kubernetes manifests. Each check returns the violations it
/// found (empty = pass), so the tests assert emptiness on the real files and non-emptiness on
/// deliberately broken copies (a checker that cannot fail proves nothing).
/// </summary>
public static class KubernetesChecks
{
    private static readonly string[] ReadVerbs = ["get", "list", "watch", "*"];

    /// <summary>Per service a Deployment, a Service, a ServiceAccount and a NetworkPolicy selecting its pods.</summary>
    public static List<string> EveryServiceHasItsObjects(KubernetesManifests m)
    {
        var v = new List<string>();
        foreach (var s in m.Services)
        {
            if (m.All<V1Deployment>().Count(d => d.Metadata?.Name == s) != 1)
            {
                v.Add($"{s}: expected exactly one Deployment named {s}");
            }

            if (!m.All<V1Service>().Any(x => x.Spec?.Selector is { } sel && sel.TryGetValue(KubernetesManifests.NameLabel, out var a) && a == s))
            {
                v.Add($"{s}: no Service selects its pods");
            }

            if (!m.All<V1ServiceAccount>().Any(x => x.Metadata?.Name == s))
            {
                v.Add($"{s}: no ServiceAccount named {s}");
            }

            if (!m.All<V1NetworkPolicy>().Any(x => Selects(x, s)))
            {
                v.Add($"{s}: no NetworkPolicy selects its pods");
            }
        }

        return v;
    }

    /// <summary>
    /// No pod can read both the kms passphrase and an application-key store (keyservice/signer PVC);
    /// no pod reads another service's Secrets or the kms passphrase unless it is the kms; no Secret
    /// object holds both a passphrase and key material, or a CA key, or a service-account key file.
    /// </summary>
    public static List<string> SecretsAreSplit(KubernetesManifests m)
    {
        var v = new List<string>();
        foreach (var (workload, app, spec) in m.Pods())
        {
            var secrets = KubernetesManifests.SecretsOf(spec);
            var claims = KubernetesManifests.ClaimsOf(spec);
            var keyStores = claims.Where(c => CallGraph.KeyHolders.Any(k => c.StartsWith(k + "-", StringComparison.Ordinal))).ToList();
            if (secrets.Contains("kms-passphrase") && keyStores.Count > 0)
            {
                v.Add($"{workload}: reads the kms passphrase and the application-key store {string.Join(", ", keyStores)}");
            }

            if (secrets.Contains("kms-passphrase") && app != "kms")
            {
                v.Add($"{workload}: reads kms-passphrase but is not the kms");
            }

            foreach (var claim in claims)
            {
                var owner = CallGraph.Services.FirstOrDefault(s => claim.StartsWith(s + "-", StringComparison.Ordinal));
                if (owner != app)
                {
                    v.Add($"{workload}: mounts the volume claim {claim}, which is not its own");
                }
            }

            foreach (var secret in secrets)
            {
                var owner = CallGraph.Services.FirstOrDefault(s => secret.StartsWith(s + "-", StringComparison.Ordinal));
                if (owner is not null && owner != app)
                {
                    v.Add($"{workload}: reads Secret {secret} of {owner}");
                }
            }

            foreach (var c in KubernetesManifests.ContainersOf(spec))
            {
                if (c.Env?.Any(e => e.Name == "GOOGLE_APPLICATION_CREDENTIALS") == true)
                {
                    v.Add($"{workload}/{c.Name}: GOOGLE_APPLICATION_CREDENTIALS (a service-account key file); use Workload Identity");
                }
            }

            foreach (var vol in spec.Volumes ?? [])
            {
                var paths = (vol.Secret?.Items ?? []).Select(i => i.Path)
                    .Concat((vol.Projected?.Sources ?? []).SelectMany(p => p.Secret?.Items ?? []).Select(i => i.Path));
                if (paths.Any(IsKeyFileName) || IsKeyFileName(vol.Secret?.SecretName ?? ""))
                {
                    v.Add($"{workload}: volume {vol.Name} carries a service-account key file");
                }

                if (vol.HostPath is not null)
                {
                    v.Add($"{workload}: hostPath volume {vol.Name}");
                }
            }
        }

        foreach (var secret in m.All<V1Secret>())
        {
            var keys = (secret.Data?.Keys ?? []).Concat(secret.StringData?.Keys ?? []).ToList();
            var name = secret.Metadata?.Name ?? "";
            if (IsKeyFileName(name) || keys.Any(IsKeyFileName))
            {
                v.Add($"Secret {name}: a service-account key file");
            }

            if (keys.Any(k => k.Equals("ca.key", StringComparison.OrdinalIgnoreCase)))
            {
                v.Add($"Secret {name}: holds the CA private key");
            }

            var passphrase = name == "kms-passphrase" || keys.Any(k => k.Contains("passphrase", StringComparison.OrdinalIgnoreCase));
            var keyMaterial = keys.Any(k => k.EndsWith(".key", StringComparison.OrdinalIgnoreCase) || k.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || k.EndsWith(".pem", StringComparison.OrdinalIgnoreCase));
            if (passphrase && keyMaterial)
            {
                v.Add($"Secret {name}: holds both a passphrase and key material");
            }
        }

        return v;
    }

    private static bool IsKeyFileName(string name) =>
        name.EndsWith("key.json", StringComparison.OrdinalIgnoreCase) || name.EndsWith("credentials.json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Secrets RBAC: no ClusterRole/ClusterRoleBinding touches Secrets or binds our ServiceAccounts;
    /// every Role reading Secrets names them (resourceNames, verb get only) and names only its own
    /// service's; each RoleBinding binds only its own ServiceAccount to its own Role. Every
    /// ServiceAccount has no API token mounted by default.
    /// </summary>
    public static List<string> NoServiceAccountReadsAnotherServicesSecrets(KubernetesManifests m)
    {
        var v = new List<string>();
        foreach (var cr in m.All<V1ClusterRole>())
        {
            if ((cr.Rules ?? []).Any(TouchesSecrets))
            {
                v.Add($"ClusterRole {cr.Metadata?.Name}: grants access to Secrets");
            }
        }

        foreach (var crb in m.All<V1ClusterRoleBinding>())
        {
            v.Add($"ClusterRoleBinding {crb.Metadata?.Name}: cluster-wide bindings are not allowed");
        }

        foreach (var role in m.All<V1Role>())
        {
            var owner = KubernetesManifests.Label(role.Metadata, KubernetesManifests.NameLabel) ?? "";
            foreach (var rule in (role.Rules ?? []).Where(TouchesSecrets))
            {
                var verbs = rule.Verbs ?? [];
                if (verbs.Any(x => x is "list" or "watch" or "*"))
                {
                    v.Add($"Role {role.Metadata?.Name}: {string.Join(",", verbs)} on Secrets (only get, by name)");
                }

                if ((rule.Resources ?? []).Contains("*") || (rule.ApiGroups ?? []).Contains("*"))
                {
                    v.Add($"Role {role.Metadata?.Name}: wildcard resources or API groups");
                }

                if (rule.ResourceNames is not { Count: > 0 })
                {
                    v.Add($"Role {role.Metadata?.Name}: Secrets access without resourceNames (every Secret)");
                }

                foreach (var name in rule.ResourceNames ?? [])
                {
                    if (!CallGraph.Services.Contains(owner) || !name.StartsWith(owner + "-", StringComparison.Ordinal))
                    {
                        v.Add($"Role {role.Metadata?.Name} (of {owner}): grants Secret {name}, which is not its own");
                    }
                }
            }
        }

        foreach (var rb in m.All<V1RoleBinding>())
        {
            var role = m.All<V1Role>().FirstOrDefault(r => r.Metadata?.Name == rb.RoleRef?.Name);
            var owner = KubernetesManifests.Label(role?.Metadata, KubernetesManifests.NameLabel);
            if (rb.RoleRef?.Kind != "Role" || role is null)
            {
                v.Add($"RoleBinding {rb.Metadata?.Name}: must reference a Role in these files (not a ClusterRole)");
                continue;
            }

            var subjects = rb.Subjects ?? [];
            if (subjects.Count != 1 || subjects[0].Kind != "ServiceAccount" || subjects[0].Name != owner
                || (subjects[0].NamespaceProperty ?? KubernetesManifests.Namespace) != KubernetesManifests.Namespace)
            {
                v.Add($"RoleBinding {rb.Metadata?.Name}: binds {string.Join(", ", subjects.Select(s => $"{s.Kind}/{s.Name}"))}, not only ServiceAccount {owner}");
            }
        }

        foreach (var sa in m.All<V1ServiceAccount>())
        {
            if (sa.AutomountServiceAccountToken != false)
            {
                v.Add($"ServiceAccount {sa.Metadata?.Name}: automountServiceAccountToken must be false (no pod needs the API)");
            }
        }

        return v;
    }

    private static bool TouchesSecrets(V1PolicyRule rule) =>
        ((rule.Resources ?? []).Contains("secrets") || (rule.Resources ?? []).Contains("*"))
        && ((rule.ApiGroups ?? []).Contains("") || (rule.ApiGroups ?? []).Contains("*"))
        && (rule.Verbs ?? []).Any(x => ReadVerbs.Contains(x) || x is "update" or "patch" or "create" or "delete" or "deletecollection");

    /// <summary>Only the edge is reachable from outside: its Service alone is LoadBalancer/NodePort and exposes only its client port.</summary>
    public static List<string> OnlyTheEdgeIsExposed(KubernetesManifests m)
    {
        var v = new List<string>();
        foreach (var svc in m.All<V1Service>())
        {
            var type = svc.Spec?.Type ?? "ClusterIP";
            var target = svc.Spec?.Selector is { } sel && sel.TryGetValue(KubernetesManifests.NameLabel, out var a) ? a : "";
            if (svc.Spec?.ExternalIPs is { Count: > 0 })
            {
                v.Add($"Service {svc.Metadata?.Name}: externalIPs");
            }

            if (type is "LoadBalancer" or "NodePort" || svc.Spec?.Ports?.Any(p => p.NodePort is not null) == true)
            {
                if (target != CallGraph.PublicEntry)
                {
                    v.Add($"Service {svc.Metadata?.Name}: type {type} exposes {target} outside the cluster");
                }
                else if (svc.Spec?.Ports?.Any(p => p.TargetPort?.Value is not ("grpc" or "7443")) != false)
                {
                    v.Add($"Service {svc.Metadata?.Name}: the edge's external Service must expose only its client port");
                }
            }
            else if (type is not "ClusterIP")
            {
                v.Add($"Service {svc.Metadata?.Name}: type {type}");
            }
        }

        foreach (var ing in m.All<V1Ingress>())
        {
            var backends = (ing.Spec?.Rules ?? []).SelectMany(r => r.Http?.Paths ?? []).Select(p => p.Backend?.Service?.Name)
                .Append(ing.Spec?.DefaultBackend?.Service?.Name).OfType<string>();
            if (backends.Any(b => b != CallGraph.PublicEntry))
            {
                v.Add($"Ingress {ing.Metadata?.Name}: routes to something other than the edge");
            }
        }

        foreach (var (workload, _, spec) in m.Pods())
        {
            if (spec.HostNetwork == true || KubernetesManifests.ContainersOf(spec).Any(c => c.Ports?.Any(p => p.HostPort is not null) == true))
            {
                v.Add($"{workload}: hostNetwork or hostPort");
            }
        }

        return v;
    }

    /// <summary>
    /// Every container (init containers too): non-root (uid ≥ 1000), read-only root filesystem, no
    /// privilege escalation, not privileged, capabilities drop ALL and add none, no host namespaces,
    /// seccomp and AppArmor never Unconfined. Every service container probes GET /healthz on the plain
    /// health listener.
    /// </summary>
    public static List<string> ContainersAreLockedDown(KubernetesManifests m)
    {
        var v = new List<string>();
        foreach (var (workload, app, spec) in m.Pods())
        {
            var pod = spec.SecurityContext;
            if (spec.HostPID == true || spec.HostIPC == true)
            {
                v.Add($"{workload}: host PID/IPC namespace");
            }

            foreach (var c in KubernetesManifests.ContainersOf(spec))
            {
                var sc = c.SecurityContext;
                var id = $"{workload}/{c.Name}";
                if ((sc?.RunAsNonRoot ?? pod?.RunAsNonRoot) != true)
                {
                    v.Add($"{id}: runAsNonRoot is not true");
                }

                if ((sc?.RunAsUser ?? pod?.RunAsUser) is not >= 1000)
                {
                    v.Add($"{id}: runAsUser must be set and ≥ 1000");
                }

                if (sc?.ReadOnlyRootFilesystem != true)
                {
                    v.Add($"{id}: readOnlyRootFilesystem is not true");
                }

                if (sc?.AllowPrivilegeEscalation != false)
                {
                    v.Add($"{id}: allowPrivilegeEscalation is not false");
                }

                if (sc?.Privileged == true)
                {
                    v.Add($"{id}: privileged");
                }

                if (sc?.Capabilities?.Drop?.Contains("ALL") != true)
                {
                    v.Add($"{id}: capabilities do not drop ALL");
                }

                if (sc?.Capabilities?.Add is { Count: > 0 } added)
                {
                    v.Add($"{id}: adds capabilities {string.Join(",", added)}");
                }

                var seccomp = sc?.SeccompProfile?.Type ?? pod?.SeccompProfile?.Type;
                if (seccomp is not ("RuntimeDefault" or "Localhost"))
                {
                    v.Add($"{id}: seccomp profile {seccomp ?? "unset"} (RuntimeDefault or Localhost)");
                }

                var apparmor = sc?.AppArmorProfile?.Type ?? pod?.AppArmorProfile?.Type;
                if (apparmor == "Unconfined")
                {
                    v.Add($"{id}: AppArmor Unconfined");
                }
            }
        }

        foreach (var s in m.Services)
        {
            var c = m.Deployment(s)?.Spec?.Template?.Spec?.Containers?.FirstOrDefault(x => x.Name == s);
            if (c is null)
            {
                v.Add($"{s}: no container named {s}");
                continue;
            }

            if (KubernetesManifests.EnvValue(c, "Strongroom__Listeners__Health") != $"0.0.0.0:{KubernetesManifests.HealthPort}")
            {
                v.Add($"{s}: Strongroom__Listeners__Health is not 0.0.0.0:{KubernetesManifests.HealthPort}");
            }

            foreach (var (kind, probe) in new[] { ("liveness", c.LivenessProbe), ("readiness", c.ReadinessProbe) })
            {
                var port = probe?.HttpGet?.Port?.Value;
                var resolved = c.Ports?.FirstOrDefault(p => p.Name == port)?.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? port;
                if (probe?.HttpGet?.Path != "/healthz" || resolved != KubernetesManifests.HealthPort.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    || (probe.HttpGet.Scheme ?? "HTTP") != "HTTP")
                {
                    v.Add($"{s}: {kind} probe is not HTTP GET /healthz on {KubernetesManifests.HealthPort}");
                }
            }
        }

        return v;
    }

    /// <summary>
    /// Every service has its own identity: its pods run as its own ServiceAccount (one per service,
    /// never shared), mount its own TLS Secret (&lt;service&gt;-tls, the certificate whose URI SAN is the
    /// service) and say Strongroom__Identity=&lt;service&gt;.
    /// </summary>
    public static List<string> EveryServiceHasItsOwnIdentity(KubernetesManifests m)
    {
        var v = new List<string>();
        var accounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (workload, app, spec) in m.Pods())
        {
            var sa = spec.ServiceAccountName ?? "default";
            if (sa == "default")
            {
                v.Add($"{workload}: runs as the default ServiceAccount");
            }

            if (accounts.TryGetValue(sa, out var other) && other != app)
            {
                v.Add($"{workload}: shares ServiceAccount {sa} with {other}");
            }

            accounts[sa] = app;
        }

        foreach (var s in m.Services)
        {
            var spec = m.Deployment(s)?.Spec?.Template?.Spec;
            if (spec is null)
            {
                v.Add($"{s}: no Deployment");
                continue;
            }

            if (spec.ServiceAccountName != s)
            {
                v.Add($"{s}: runs as ServiceAccount {spec.ServiceAccountName}, not {s}");
            }

            var tls = (spec.Volumes ?? []).Where(x => x.Secret?.SecretName?.EndsWith("-tls", StringComparison.Ordinal) == true).Select(x => x.Secret.SecretName).ToList();
            if (tls.Count != 1 || tls[0] != $"{s}-tls")
            {
                v.Add($"{s}: mounts TLS Secrets [{string.Join(", ", tls)}], expected exactly {s}-tls");
            }

            var c = spec.Containers?.FirstOrDefault(x => x.Name == s);
            if (c is null || KubernetesManifests.EnvValue(c, "Strongroom__Identity") != s)
            {
                v.Add($"{s}: Strongroom__Identity is not {s}");
            }
        }

        return v;
    }

    /// <summary>An allowed non-service peer of a NetworkPolicy rule.</summary>
    private enum Peer
    {
        Service,
        Operator,
        Internet,
        Dns,
        Postgres,
        GoogleMetadata,
        CloudKms,
        Unknown,
    }

    private static (Peer Kind, string? App) Classify(V1NetworkPolicyPeer p)
    {
        var pod = p.PodSelector?.MatchLabels;
        var ns = p.NamespaceSelector?.MatchLabels;
        if (p.IpBlock is { } ip)
        {
            return ip.Cidr switch
            {
                "0.0.0.0/0" or "::/0" when ip.Except is not { Count: > 0 } => (Peer.Internet, null),
                "169.254.169.254/32" or "169.254.169.252/32" => (Peer.GoogleMetadata, null),
                "199.36.153.8/30" or "199.36.153.4/30" => (Peer.CloudKms, null),
                _ => (Peer.Unknown, ip.Cidr),
            };
        }

        if (p.PodSelector?.MatchExpressions is { Count: > 0 } || p.NamespaceSelector?.MatchExpressions is { Count: > 0 })
        {
            return (Peer.Unknown, "matchExpressions");
        }

        if (ns is null && pod is { Count: 1 } && pod.TryGetValue(KubernetesManifests.NameLabel, out var app) && CallGraph.Services.Contains(app))
        {
            return (Peer.Service, app);
        }

        if (ns is null && pod is { Count: 1 } && pod.TryGetValue(KubernetesManifests.OperatorLabel, out var role) && role == "operator")
        {
            return (Peer.Operator, null);
        }

        if (ns is { Count: 1 } && ns.TryGetValue("kubernetes.io/metadata.name", out var n))
        {
            if (n == "kube-system" && pod is { Count: 1 } && pod.TryGetValue("k8s-app", out var dns) && dns == "kube-dns")
            {
                return (Peer.Dns, null);
            }

            if (n == "strongroom-postgres" && pod is { Count: 1 } && pod.TryGetValue(KubernetesManifests.NameLabel, out var pg) && pg == "postgresql")
            {
                return (Peer.Postgres, null);
            }
        }

        return (Peer.Unknown, "selector");
    }

    private static HashSet<(string Protocol, int Port)> PortsOf(IList<V1NetworkPolicyPort>? ports) =>
        (ports ?? []).Select(p => (p.Protocol ?? "TCP", int.TryParse(p.Port?.Value, out var n) ? n : -1)).ToHashSet();

    private static bool Selects(V1NetworkPolicy np, string app) =>
        np.Spec?.PodSelector?.MatchLabels is { Count: 1 } l && l.TryGetValue(KubernetesManifests.NameLabel, out var a) && a == app;

    /// <summary>
    /// The NetworkPolicy graph equals DESIGN §2's call graph: a default deny for the namespace; per
    /// service exactly its callers may connect in, each on the callee's call port, and exactly its
    /// callees are reachable out, on that port. Besides: operators (label strongroom.io/role=operator)
    /// in, on the admin listener (and the public one for the operator rows of the policy tables);
    /// the internet in to the edge's client port only; out DNS (kube-dns, 53) for all, PostgreSQL
    /// (5432) for storage and runner only, Cloud KMS (443, private.googleapis.com) and the GKE
    /// metadata server for keyservice and signer in the cloud-kms variant only. A rule without peers
    /// or without ports (= everyone / every port) fails.
    /// </summary>
    public static List<string> NetworkGraphIsTheCallGraph(KubernetesManifests m)
    {
        var v = new List<string>();
        var policies = m.All<V1NetworkPolicy>().ToList();
        if (!policies.Any(p => p.Spec?.PodSelector?.MatchLabels is not { Count: > 0 } && p.Spec?.PodSelector?.MatchExpressions is not { Count: > 0 }
                && p.Spec?.PolicyTypes is { } t && t.Contains("Ingress") && t.Contains("Egress")
                && p.Spec.Ingress is not { Count: > 0 } && p.Spec.Egress is not { Count: > 0 }))
        {
            v.Add("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)");
        }

        var ingressEdges = new HashSet<(string Caller, string Callee)>();
        var egressEdges = new HashSet<(string Caller, string Callee)>();
        foreach (var np in policies)
        {
            var selected = np.Spec?.PodSelector?.MatchLabels;
            if (selected is not { Count: > 0 })
            {
                if (np.Spec?.Ingress is { Count: > 0 } || np.Spec?.Egress is { Count: > 0 })
                {
                    v.Add($"NetworkPolicy {np.Metadata?.Name}: allows traffic for every pod");
                }

                continue;
            }

            var isOperator = selected.Count == 1 && selected.TryGetValue(KubernetesManifests.OperatorLabel, out var r) && r == "operator";
            var app = selected.TryGetValue(KubernetesManifests.NameLabel, out var a) && selected.Count == 1 ? a : null;
            if (!isOperator && (app is null || !m.Services.Contains(app)))
            {
                v.Add($"NetworkPolicy {np.Metadata?.Name}: selects neither a service nor the operators");
                continue;
            }

            var who = isOperator ? "operator" : app!;
            if (np.Spec?.PolicyTypes is not { } types || !types.Contains("Ingress") || !types.Contains("Egress"))
            {
                v.Add($"NetworkPolicy {np.Metadata?.Name}: policyTypes must be Ingress and Egress");
            }

            foreach (var rule in np.Spec?.Ingress ?? [])
            {
                var ports = PortsOf(rule.Ports);
                if (rule.FromProperty is not { Count: > 0 } || ports.Count == 0 || (rule.Ports ?? []).Any(p => p.EndPort is not null))
                {
                    v.Add($"{who}: an ingress rule without peers or ports (everyone / every port)");
                    continue;
                }

                foreach (var peer in rule.FromProperty)
                {
                    var (kind, from) = Classify(peer);
                    switch (kind)
                    {
                        case Peer.Service when !isOperator:
                            ingressEdges.Add((from!, app!));
                            if (!ports.SetEquals([("TCP", KubernetesManifests.CallPort(app!))]))
                            {
                                v.Add($"{app}: ingress from {from} on {Show(ports)}, expected TCP {KubernetesManifests.CallPort(app!)}");
                            }

                            break;
                        case Peer.Operator when !isOperator:
                            var (pub, adm) = KubernetesManifests.Ports[app!];
                            if (!ports.Contains(("TCP", adm)) || ports.Any(p => p != ("TCP", adm) && p != ("TCP", pub)))
                            {
                                v.Add($"{app}: operator ingress on {Show(ports)}, expected the admin port {adm} (and at most the public {pub})");
                            }

                            break;
                        case Peer.Internet when app == CallGraph.PublicEntry:
                            if (!ports.SetEquals([("TCP", KubernetesManifests.Ports[app].Public)]))
                            {
                                v.Add($"edge: internet ingress on {Show(ports)}, expected only its client port");
                            }

                            break;
                        default:
                            v.Add($"{who}: ingress from {kind} {from} is not allowed");
                            break;
                    }
                }
            }

            foreach (var rule in np.Spec?.Egress ?? [])
            {
                var ports = PortsOf(rule.Ports);
                if (rule.To is not { Count: > 0 } || ports.Count == 0 || (rule.Ports ?? []).Any(p => p.EndPort is not null))
                {
                    v.Add($"{who}: an egress rule without peers or ports (everywhere / every port)");
                    continue;
                }

                foreach (var peer in rule.To)
                {
                    var (kind, to) = Classify(peer);
                    var allowed = kind switch
                    {
                        Peer.Service when isOperator => ports.All(p => p == ("TCP", KubernetesManifests.Ports[to!].Admin) || p == ("TCP", KubernetesManifests.Ports[to!].Public)),
                        Peer.Service => ports.SetEquals([("TCP", KubernetesManifests.CallPort(to!))]),
                        Peer.Dns => ports.IsSubsetOf([("UDP", 53), ("TCP", 53)]),
                        Peer.Postgres => !isOperator && app is "storage" or "runner" && ports.SetEquals([("TCP", 5432)]),
                        Peer.CloudKms => !isOperator && !m.LocalKms && CallGraph.KeyHolders.Contains(app!) && ports.SetEquals([("TCP", 443)]),
                        Peer.GoogleMetadata => !isOperator && !m.LocalKms && CallGraph.KeyHolders.Contains(app!) && ports.IsSubsetOf([("TCP", 80), ("TCP", 988)]),
                        _ => false,
                    };
                    if (!allowed)
                    {
                        v.Add($"{who}: egress to {kind} {to} on {Show(ports)} is not allowed");
                    }
                    else if (kind == Peer.Service && !isOperator)
                    {
                        egressEdges.Add((app!, to!));
                    }
                }
            }
        }

        var expected = m.ExpectedCalls;
        foreach (var e in expected.Except(ingressEdges))
        {
            v.Add($"ingress: {e.Caller} -> {e.Callee} of DESIGN §2 is not allowed into {e.Callee}");
        }

        foreach (var e in ingressEdges.Except(expected))
        {
            v.Add($"ingress: {e.Item1} -> {e.Item2} is allowed but is not a call of DESIGN §2");
        }

        foreach (var e in expected.Except(egressEdges))
        {
            v.Add($"egress: {e.Caller} -> {e.Callee} of DESIGN §2 is not allowed out of {e.Caller}");
        }

        foreach (var e in egressEdges.Except(expected))
        {
            v.Add($"egress: {e.Item1} -> {e.Item2} is allowed but is not a call of DESIGN §2");
        }

        foreach (var s in m.Services.Where(s => !policies.Any(p => Selects(p, s))))
        {
            v.Add($"{s}: no NetworkPolicy of its own");
        }

        return v;
    }

    private static string Show(IReadOnlySet<(string Protocol, int Port)> ports) => string.Join(",", ports.Select(p => $"{p.Protocol} {p.Port}"));

    /// <summary>
    /// Cloud KMS through Workload Identity, no key files; the local kms is what the local variant
    /// calls; PostgreSQL for storage (≥ 2 replicas) and the runner (≥ 2 replicas), each with its own
    /// connection Secret and schema; keyservice and signer single replica on their own PVC.
    /// </summary>
    public static List<string> BackendsAndKms(KubernetesManifests m)
    {
        var v = new List<string>();
        foreach (var s in CallGraph.KeyHolders)
        {
            var d = m.Deployment(s);
            var c = d?.Spec?.Template?.Spec?.Containers?.FirstOrDefault(x => x.Name == s);
            var sa = m.All<V1ServiceAccount>().FirstOrDefault(x => x.Metadata?.Name == s);
            if (c is null || d is null)
            {
                v.Add($"{s}: no Deployment");
                continue;
            }

            var mode = KubernetesManifests.EnvValue(c, "KmsClient__Mode");
            var gsa = sa?.Metadata?.Annotations is { } an && an.TryGetValue("iam.gke.io/gcp-service-account", out var g) ? g : null;
            if (m.LocalKms)
            {
                if (mode != "Local" || KubernetesManifests.EnvValue(c, "KmsClient__Address") != $"https://kms.{KubernetesManifests.Namespace}.svc.cluster.local:{KubernetesManifests.Ports["kms"].Admin}")
                {
                    v.Add($"{s}: local-kms variant must use KmsClient:Mode=Local at the kms admin listener");
                }
            }
            else
            {
                if (mode != "Google")
                {
                    v.Add($"{s}: cloud-kms variant must use KmsClient:Mode=Google");
                }

                if (gsa is null || !gsa.StartsWith($"strongroom-{s}@", StringComparison.Ordinal) || !gsa.EndsWith(".iam.gserviceaccount.com", StringComparison.Ordinal))
                {
                    v.Add($"{s}: ServiceAccount lacks its own Workload Identity annotation (strongroom-{s}@PROJECT.iam.gserviceaccount.com, deploy/gcp)");
                }
            }

            if (d.Spec?.Replicas != 1 || d.Spec?.Strategy?.Type != "Recreate" || !KubernetesManifests.ClaimsOf(d.Spec.Template.Spec).SetEquals([$"{s}-data"]))
            {
                v.Add($"{s}: SQLite store needs one replica, Recreate and its own PVC {s}-data");
            }
        }

        foreach (var (s, backend, min) in new[] { ("storage", "Storage", 2), ("runner", "Runner", 3) })
        {
            var d = m.Deployment(s);
            var c = d?.Spec?.Template?.Spec?.Containers?.FirstOrDefault(x => x.Name == s);
            if (c is null || d is null)
            {
                v.Add($"{s}: no Deployment");
                continue;
            }

            if (d.Spec?.Replicas is not { } n || n < min)
            {
                v.Add($"{s}: {d.Spec?.Replicas} replicas, expected at least {min}");
            }

            if (KubernetesManifests.EnvValue(c, $"{backend}__Backend") != "Postgres" || KubernetesManifests.EnvValue(c, $"{backend}__PostgresSchema") != s)
            {
                v.Add($"{s}: must use PostgreSQL with its own schema {s}");
            }

            var cs = c.Env?.FirstOrDefault(e => e.Name == $"{backend}__PostgresConnectionString")?.ValueFrom?.SecretKeyRef?.Name;
            if (cs != $"{s}-postgres")
            {
                v.Add($"{s}: connection string must come from its own Secret {s}-postgres (its own role)");
            }
        }

        return v;
    }

    /// <summary>Every check, by name (the tests run each on its own).</summary>
    public static readonly IReadOnlyDictionary<string, Func<KubernetesManifests, List<string>>> All = new Dictionary<string, Func<KubernetesManifests, List<string>>>
    {
        [nameof(EveryServiceHasItsObjects)] = EveryServiceHasItsObjects,
        [nameof(SecretsAreSplit)] = SecretsAreSplit,
        [nameof(NoServiceAccountReadsAnotherServicesSecrets)] = NoServiceAccountReadsAnotherServicesSecrets,
        [nameof(OnlyTheEdgeIsExposed)] = OnlyTheEdgeIsExposed,
        [nameof(ContainersAreLockedDown)] = ContainersAreLockedDown,
        [nameof(EveryServiceHasItsOwnIdentity)] = EveryServiceHasItsOwnIdentity,
        [nameof(NetworkGraphIsTheCallGraph)] = NetworkGraphIsTheCallGraph,
        [nameof(BackendsAndKms)] = BackendsAndKms,
    };
}
