using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Strongroom.Hosting;
using Strongroom.Pki;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Testing;

/// <summary>
/// A service composed in the test process exactly as its Program.cs composes it: real Kestrel on
/// 127.0.0.1, real mTLS certificates from the test CA, its policy table read from its own
/// appsettings.json. The one builder the per-service suites (keyservice, signer, storage) use.
/// </summary>
public static class InProcessServices
{
    /// <param name="adminPort">Null: no admin listener.</param>
    /// <param name="useServiceSettings">False: only the settings given here (tests of configuration itself).</param>
    public static WebApplication Build(TestPki pki, string service, WorkloadIdentity identity, int publicPort, int? adminPort, IReadOnlyDictionary<string, string?> extra,
        Action<WebApplicationBuilder> add, Action<WebApplication> map, bool useServiceSettings = true)
    {
        ArgumentNullException.ThrowIfNull(pki);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(extra);
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(map);
        var certificate = pki.Issue(identity);
        var settings = new Dictionary<string, string?>
        {
            ["Strongroom:Identity"] = identity.Path,
            ["Strongroom:Tls:CaFile"] = pki.CaFile,
            ["Strongroom:Tls:CertFile"] = certificate.Certificate,
            ["Strongroom:Tls:KeyFile"] = certificate.Key,
            ["Strongroom:Listeners:Public"] = $"127.0.0.1:{publicPort}",
            ["Strongroom:Listeners:Admin"] = adminPort is null ? "" : $"127.0.0.1:{adminPort}",
            ["Strongroom:Audit:Path"] = Path.Combine(pki.Root, service, "audit.log"),
        };
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = pki.Root });
        builder.Configuration.Sources.Clear();
        if (useServiceSettings)
        {
            builder.Configuration.AddJsonFile(Path.Combine(RepoPaths.Root, "services", service, "appsettings.json"), optional: false);
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddStrongroomHosting();
        add(builder);
        var app = builder.Build();
        app.MapStrongroomDefaults();
        map(app);
        return app;
    }

    /// <summary>The local kms's settings for a fresh store sealed by a random passphrase (0600) in the PKI folder; zero destroy grace allowed.</summary>
    public static Dictionary<string, string?> LocalKmsSettings(TestPki pki)
    {
        ArgumentNullException.ThrowIfNull(pki);
        var passphrase = Path.Combine(pki.Root, "kms-passphrase");
        SecureFile.WriteAllText(passphrase, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)), secret: true);
        return new()
        {
            ["Kms:StorePath"] = Path.Combine(pki.Root, "kms", "kms.store"),
            ["Kms:PassphraseFile"] = passphrase,
            ["Kms:CreateStoreIfMissing"] = "true",
            ["Kms:AllowZeroDestroyGrace"] = "true",
        };
    }

    /// <summary>A call invoker presenting <paramref name="identity"/>'s certificate and expecting the server to be <paramref name="service"/>.</summary>
    public static CallInvoker Invoker(TestPki pki, WorkloadIdentity identity, string address, string service)
    {
        ArgumentNullException.ThrowIfNull(pki);
        var certificate = pki.Issue(identity);
        return MtlsChannelFactory.Create(
            new DownstreamOptions { Address = address, Identity = service, Deadline = TimeSpan.FromSeconds(60) },
            new ReloadingCertificate(certificate.Certificate, certificate.Key, TimeSpan.FromSeconds(1)),
            new PeerCertificateValidator(new TrustAnchor(pki.CaFile, TimeSpan.FromSeconds(1)), EmptyDenyList.Instance));
    }
}
