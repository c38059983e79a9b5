using k8s;
using k8s.Models;
using Strongroom.Deployment.Tests.Support;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The Kubernetes manifests of one deployment variant, parsed with the KubernetesClient YAML loader
/// into typed objects. deploy/k8s/ holds the shared files (namespace, default deny, storage, runner,
/// edge, operator/) and two variants of the key-holding side: <c>local-kms/</c> (the local kms,
/// keyservice and signer with <c>KmsClient:Mode=Local</c>) and <c>cloud-kms/</c> (GKE: keyservice and
/// signer on Google Cloud KMS with Workload Identity, no kms pod).
/// </summary>
public sealed class KubernetesManifests
{
    public const string Namespace = "strongroom";

    public const string NameLabel = "app.kubernetes.io/name";

    public const string OperatorLabel = "strongroom.io/role";

    public const int HealthPort = 8080;

    public static readonly IReadOnlyList<string> Variants = ["local-kms", "cloud-kms"];

    /// <summary>Sub-folders holding shared files (applied with every variant).</summary>
    public static readonly IReadOnlyList<string> SharedFolders = ["operator"];

    /// <summary>Dev ports, kept in the cluster: (public, admin).</summary>
    public static readonly IReadOnlyDictionary<string, (int Public, int Admin)> Ports = new Dictionary<string, (int, int)>
    {
        ["kms"] = (7401, 7411), ["keyservice"] = (7402, 7412), ["signer"] = (7403, 7413),
        ["storage"] = (7404, 7414), ["runner"] = (7405, 7415), ["edge"] = (7443, 7453),
    };

    public KubernetesManifests(string variant, IReadOnlyList<(string File, object Object)> objects)
    {
        Variant = variant;
        Objects = objects;
    }

    public string Variant { get; }

    public IReadOnlyList<(string File, object Object)> Objects { get; }

    public bool LocalKms => Variant == "local-kms";

    /// <summary>The services this variant deploys (cloud-kms: Google Cloud KMS replaces the kms pod).</summary>
    public IReadOnlyList<string> Services => LocalKms ? CallGraph.Services : CallGraph.Services.Where(s => s != "kms").ToList();

    /// <summary>DESIGN §2's call graph restricted to the services deployed (Cloud KMS is egress, not a pod).</summary>
    public IReadOnlySet<(string Caller, string Callee)> ExpectedCalls =>
        CallGraph.Calls.Where(c => Services.Contains(c.Caller) && Services.Contains(c.Callee)).ToHashSet();

    /// <summary>The port a caller uses: the callee's public listener; every kms method is on the kms admin listener.</summary>
    public static int CallPort(string callee) => callee == "kms" ? Ports[callee].Admin : Ports[callee].Public;

    public IEnumerable<T> All<T>() => Objects.Select(o => o.Object).OfType<T>();

    /// <summary>Every pod template: (owner kind/name, owner's app label or name, the pod spec).</summary>
    public IEnumerable<(string Workload, string App, V1PodSpec Spec)> Pods()
    {
        foreach (var (_, o) in Objects)
        {
            (string Kind, V1ObjectMeta? Meta, V1PodTemplateSpec? Template)? w = o switch
            {
                V1Deployment d => ("Deployment", d.Metadata, d.Spec?.Template),
                V1StatefulSet s => ("StatefulSet", s.Metadata, s.Spec?.Template),
                V1DaemonSet s => ("DaemonSet", s.Metadata, s.Spec?.Template),
                V1ReplicaSet s => ("ReplicaSet", s.Metadata, s.Spec?.Template),
                V1Job j => ("Job", j.Metadata, j.Spec?.Template),
                V1CronJob c => ("CronJob", c.Metadata, c.Spec?.JobTemplate?.Spec?.Template),
                V1Pod p => ("Pod", p.Metadata, new V1PodTemplateSpec { Metadata = p.Metadata, Spec = p.Spec }),
                _ => null,
            };
            if (w is { } x)
            {
                var labels = x.Template?.Metadata?.Labels ?? x.Meta?.Labels;
                var app = labels is not null && labels.TryGetValue(NameLabel, out var a) ? a : x.Meta?.Name ?? "";
                yield return ($"{x.Kind}/{x.Meta?.Name}", app, x.Template?.Spec ?? new V1PodSpec());
            }
        }
    }

    public V1Deployment? Deployment(string service) => All<V1Deployment>().SingleOrDefault(d => d.Metadata?.Name == service);

    public static IEnumerable<V1Container> ContainersOf(V1PodSpec spec) => (spec.InitContainers ?? []).Concat(spec.Containers ?? []);

    /// <summary>Secrets a pod can read: secret and projected volumes, env secretKeyRef and envFrom secretRef.</summary>
    public static IReadOnlySet<string> SecretsOf(V1PodSpec spec)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in spec.Volumes ?? [])
        {
            if (v.Secret?.SecretName is { } s)
            {
                names.Add(s);
            }

            foreach (var p in v.Projected?.Sources ?? [])
            {
                if (p.Secret?.Name is { } ps)
                {
                    names.Add(ps);
                }
            }
        }

        foreach (var c in ContainersOf(spec))
        {
            foreach (var e in c.Env ?? [])
            {
                if (e.ValueFrom?.SecretKeyRef?.Name is { } es)
                {
                    names.Add(es);
                }
            }

            foreach (var e in c.EnvFrom ?? [])
            {
                if (e.SecretRef?.Name is { } fs)
                {
                    names.Add(fs);
                }
            }
        }

        return names;
    }

    public static IReadOnlySet<string> ClaimsOf(V1PodSpec spec) =>
        (spec.Volumes ?? []).Select(v => v.PersistentVolumeClaim?.ClaimName).OfType<string>().ToHashSet(StringComparer.Ordinal);

    public static string? EnvValue(V1Container container, string name) => container.Env?.FirstOrDefault(e => e.Name == name)?.Value;

    public static string? Label(V1ObjectMeta? meta, string key) =>
        meta?.Labels is not null && meta.Labels.TryGetValue(key, out var v) ? v : null;

    /// <summary>The YAML files of a variant: the top-level files, the shared folders and the variant's folder.</summary>
    public static IEnumerable<string> FilesOf(string variant) =>
        DeploymentFiles.KubernetesManifests.Where(f =>
        {
            var relative = Path.GetRelativePath(DeploymentFiles.KubernetesFolder, f);
            var folder = Path.GetDirectoryName(relative) ?? "";
            return folder.Length == 0 || SharedFolders.Contains(folder) || folder == variant;
        });

    /// <summary>Loads a variant fresh from disk (every call returns new objects that a test may change).</summary>
    public static KubernetesManifests Load(string variant)
    {
        var objects = new List<(string, object)>();
        foreach (var file in FilesOf(variant))
        {
            var relative = Path.GetRelativePath(DeploymentFiles.KubernetesFolder, file);
            foreach (var o in KubernetesYaml.LoadAllFromString(File.ReadAllText(file)))
            {
                objects.Add((relative, o));
            }
        }

        return new KubernetesManifests(variant, objects);
    }

    /// <summary>Loads in-memory YAML as one variant (the checkers' negative self-checks).</summary>
    public static KubernetesManifests FromYaml(string variant, string yaml) =>
        new(variant, KubernetesYaml.LoadAllFromString(yaml).Select(o => ("memory.yaml", o)).ToList());
}
