using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Strongroom.Pki;

/// <summary>
/// A deployment's PKI on disk:
/// <code>
/// ca.crt                 trust bundle every service and client mounts
/// ca/ca.crt, ca/ca.key   the CA itself (folder 0700, key 0600) — mounted into no service
/// &lt;name&gt;/tls.crt, tls.key  one folder per identity; name = identity path with '/' as '-'
/// </code>
/// </summary>
public sealed class PkiDirectory(string root)
{
    public static readonly TimeSpan DefaultCaValidity = TimeSpan.FromDays(365);

    /// <summary>Workload certificates are short-lived and renewed with <c>strongroom pki renew</c>.</summary>
    public static readonly TimeSpan DefaultLeafValidity = TimeSpan.FromDays(7);

    public string Root { get; } = Path.GetFullPath(root);

    public string TrustBundlePath => Path.Combine(Root, "ca.crt");

    public string CaCertificatePath => Path.Combine(Root, "ca", "ca.crt");

    public string CaKeyPath => Path.Combine(Root, "ca", "ca.key");

    public bool HasCa => File.Exists(CaCertificatePath) && File.Exists(CaKeyPath);

    public static string FolderName(WorkloadIdentity identity) => identity.Path.Replace('/', '-');

    public string CertificatePath(WorkloadIdentity identity) => Path.Combine(Root, FolderName(identity), "tls.crt");

    public string KeyPath(WorkloadIdentity identity) => Path.Combine(Root, FolderName(identity), "tls.key");

    /// <summary>Creates the CA unless one exists; returns true when it created one.</summary>
    public bool EnsureCa(string deploymentName, TimeProvider? time = null)
    {
        if (HasCa)
        {
            return false;
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        using var ca = CertificateAuthority.Create(deploymentName, now, DefaultCaValidity);
        SecureFile.CreatePrivateDirectory(Path.Combine(Root, "ca"));
        var pem = ca.Certificate.ExportCertificatePem() + "\n";
        SecureFile.WriteAllText(CaKeyPath, ca.ExportKeyPem() + "\n", secret: true);
        SecureFile.WriteAllText(CaCertificatePath, pem, secret: false);
        SecureFile.WriteAllText(TrustBundlePath, pem, secret: false);
        return true;
    }

    public CertificateAuthority LoadCa()
    {
        if (!HasCa)
        {
            throw new InvalidOperationException($"no CA in {Root}: run 'strongroom pki init' first");
        }

        return CertificateAuthority.Load(CaCertificatePath, CaKeyPath);
    }

    /// <summary>
    /// Issues (or renews: same identity, fresh key) a workload certificate and writes key then
    /// certificate atomically. Services pick the new pair up without a restart.
    /// </summary>
    public X509Certificate2 Issue(WorkloadIdentity identity, TimeSpan? validity = null, TimeProvider? time = null)
    {
        using var ca = LoadCa();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        string[] dns = identity.IsService ? ["localhost", identity.Path] : [];
        IPAddress[] ips = identity.IsService ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [];
        var certificate = ca.Issue(identity, key, now.AddMinutes(-1), validity ?? DefaultLeafValidity, dns, ips);
        Directory.CreateDirectory(Path.Combine(Root, FolderName(identity)));
        SecureFile.WriteAllText(KeyPath(identity), key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        SecureFile.WriteAllText(CertificatePath(identity), certificate.ExportCertificatePem() + "\n", secret: false);
        return certificate;
    }

    /// <summary>Identities `pki init` creates: every service, a demo client and an operator.</summary>
    public static IReadOnlyList<WorkloadIdentity> DefaultIdentities() =>
    [
        .. WorkloadIdentity.ServiceNames.Select(WorkloadIdentity.Service),
        WorkloadIdentity.Client("demo"),
        WorkloadIdentity.Operator("admin"),
    ];

    public static X509Certificate2 LoadPair(string certificatePath, string keyPath)
    {
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(certificatePath);
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyPath));
        return certificate.CopyWithPrivateKey(key);
    }
}
