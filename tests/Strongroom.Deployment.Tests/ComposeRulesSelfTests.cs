using Strongroom.Deployment.Tests.Support;

namespace Strongroom.Deployment.Tests;

/// <summary>
/// The compose rules can fail: each one flags a copy of the real docker-compose.yml broken in the
/// way it guards against (and the bad in-memory file below), while the unbroken copy passes.
/// </summary>
public sealed class ComposeRulesSelfTests
{
    private static Dictionary<object, object> Document() => ComposeFile.ParseDocument(File.ReadAllText(DeploymentFiles.Compose));

    private static Dictionary<object, object> Service(Dictionary<object, object> doc, string name) =>
        (Dictionary<object, object>)((Dictionary<object, object>)doc["services"])[name];

    private static List<object> Volumes(Dictionary<object, object> doc, string name) => (List<object>)Service(doc, name)["volumes"];

    private static Dictionary<object, object> Env(Dictionary<object, object> doc, string name) => (Dictionary<object, object>)Service(doc, name)["environment"];

    public static TheoryData<string> Breakages() =>
    [
        "kms publishes its admin port", "edge publishes its admin port too", "keyservice on an external network",
        "keyservice gets the passphrase secret", "kms mounts the signer store", "runner mounts the keyservice key folder",
        "storage mounts the whole PKI", "cli mounts the CA folder", "signer runs as identity storage", "runner's key comes from edge's folder",
        "storage runs as root", "edge root filesystem writable", "runner adds SYS_ADMIN", "signer shares keyservice's volume",
        "runner's queue on the read-only root", "runner calls kms", "edge lost its runner address", "keyservice calls kms on a port kms lacks",
    ];

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Each_rule_flags_the_breakage_it_guards_against(string breakage)
    {
        var doc = Document();
        Func<ComposeFile, IReadOnlyList<string>> rule;
        switch (breakage)
        {
            case "kms publishes its admin port":
                Service(doc, "kms")["ports"] = new List<object> { "7411:7411" };
                rule = ComposeRules.OnlyEdgePublishes;
                break;
            case "edge publishes its admin port too":
                ((List<object>)Service(doc, "edge")["ports"]).Add("7453:7453");
                rule = ComposeRules.OnlyEdgePublishes;
                break;
            case "keyservice on an external network":
                Service(doc, "keyservice")["networks"] = new List<object> { "backend", "public" };
                rule = ComposeRules.OnlyEdgeOnExternalNetworks;
                break;
            case "keyservice gets the passphrase secret":
                Service(doc, "keyservice")["secrets"] = new List<object> { "kms-passphrase" };
                rule = ComposeRules.PassphraseApartFromKeyStores;
                break;
            case "kms mounts the signer store":
                Volumes(doc, "kms").Add("signer-data:/var/lib/strongroom/signer-copy");
                rule = ComposeRules.PassphraseApartFromKeyStores;
                break;
            case "runner mounts the keyservice key folder":
                Volumes(doc, "runner").Add("./deploy/compose/pki/keyservice:/etc/strongroom/tls/other:ro");
                rule = ComposeRules.OwnCertificatesOnly;
                break;
            case "storage mounts the whole PKI":
                Volumes(doc, "storage").Add("./deploy/compose/pki:/pki:ro");
                rule = ComposeRules.OwnCertificatesOnly;
                break;
            case "cli mounts the CA folder":
                Volumes(doc, "cli").Add("./deploy/compose/pki/ca:/state/pki/ca:ro");
                rule = ComposeRules.OwnCertificatesOnly;
                break;
            case "signer runs as identity storage":
                Env(doc, "signer")["Strongroom__Identity"] = "storage";
                rule = ComposeRules.OwnIdentity;
                break;
            case "runner's key comes from edge's folder":
                Volumes(doc, "runner").Add("./deploy/compose/pki/edge:/etc/strongroom/tls/borrowed:ro");
                Env(doc, "runner")["Strongroom__Tls__KeyFile"] = "/etc/strongroom/tls/borrowed/tls.key";
                rule = ComposeRules.OwnIdentity;
                break;
            case "storage runs as root":
                Service(doc, "storage")["user"] = "0:0";
                rule = ComposeRules.NonRootReadOnly;
                break;
            case "edge root filesystem writable":
                Service(doc, "edge").Remove("read_only");
                rule = ComposeRules.NonRootReadOnly;
                break;
            case "runner adds SYS_ADMIN":
                Service(doc, "runner")["cap_add"] = new List<object> { "SYS_ADMIN" };
                rule = ComposeRules.NonRootReadOnly;
                break;
            case "signer shares keyservice's volume":
                Volumes(doc, "signer").Add("keyservice-data:/var/lib/strongroom/other");
                rule = ComposeRules.VolumesNotShared;
                break;
            case "runner's queue on the read-only root":
                Env(doc, "runner")["Runner__SqlitePath"] = "/app/queue.db";
                rule = ComposeRules.StoresOnNamedVolumes;
                break;
            case "runner calls kms":
                Env(doc, "runner")["Runner__Extra__Address"] = "https://kms:7411";
                rule = ComposeRules.CallsMatchCallGraph;
                break;
            case "edge lost its runner address":
                Env(doc, "edge").Remove("ReverseProxy__Clusters__runner__Destinations__runner__Address");
                rule = ComposeRules.CallsMatchCallGraph;
                break;
            case "keyservice calls kms on a port kms lacks":
                Env(doc, "keyservice")["KmsClient__Address"] = "https://kms:7499";
                rule = ComposeRules.CallsMatchCallGraph;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(breakage), breakage, null);
        }

        Assert.Empty(rule(ComposeFile.FromDocument(Document())));
        Assert.NotEmpty(rule(ComposeFile.FromDocument(doc)));
    }

    private const string BadCompose = """
        services:
          kms:
            image: strongroom/kms
            ports: ["7401:7401"]
            secrets: [kms-passphrase]
            environment:
              Strongroom__Identity: kms
              Strongroom__Tls__CertFile: /pki/kms/tls.crt
              Strongroom__Tls__KeyFile: /pki/kms/tls.key
            volumes:
              - ./deploy/compose/pki:/pki:ro
              - keys:/var/lib/strongroom/kms
          keyservice:
            image: strongroom/keyservice
            user: root
            environment:
              - Strongroom__Identity=kms
              - KmsClient__Address=https://kms:7411
            volumes:
              - keys:/var/lib/strongroom/keyservice
        volumes:
          keys: {}
        secrets:
          kms-passphrase:
            file: ./deploy/compose/secrets/kms-passphrase
        """;

    [Fact]
    public void A_deliberately_bad_compose_file_breaks_every_rule()
    {
        var bad = ComposeFile.Parse(BadCompose);
        Assert.NotEmpty(ComposeRules.OnlyEdgePublishes(bad));
        Assert.NotEmpty(ComposeRules.OnlyEdgeOnExternalNetworks(bad));
        Assert.NotEmpty(ComposeRules.PassphraseApartFromKeyStores(bad));
        Assert.NotEmpty(ComposeRules.OwnCertificatesOnly(bad));
        Assert.NotEmpty(ComposeRules.OwnIdentity(bad));
        Assert.NotEmpty(ComposeRules.NonRootReadOnly(bad));
        Assert.NotEmpty(ComposeRules.VolumesNotShared(bad));
        Assert.NotEmpty(ComposeRules.CallsMatchCallGraph(bad));
        Assert.Equal(["https://kms:7411"], bad.Services["keyservice"].Environment.Values.Where(v => v.StartsWith("https://", StringComparison.Ordinal)));
    }
}
