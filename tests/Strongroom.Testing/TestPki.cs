using System.Security.Cryptography;
using Strongroom.Pki;

namespace Strongroom.Testing;

/// <summary>A real deployment PKI in a temporary folder, made with the same code the CLI uses.</summary>
public sealed class TestPki : IDisposable
{
    public TestPki(string name = "test")
    {
        Root = Path.Combine(Path.GetTempPath(), "strongroom-pki-" + Guid.NewGuid().ToString("N"));
        Directory = new PkiDirectory(Root);
        Directory.EnsureCa(name);
    }

    public string Root { get; }

    public PkiDirectory Directory { get; }

    public string CaFile => Directory.TrustBundlePath;

    public CertPaths Issue(WorkloadIdentity identity, TimeSpan? validity = null)
    {
        using var _ = Directory.Issue(identity, validity);
        return new CertPaths(Directory.CertificatePath(identity), Directory.KeyPath(identity));
    }

    /// <summary>A CA-signed certificate with arbitrary URI SANs and validity, for refusal tests.</summary>
    public CertPaths IssueCustom(string name, Uri[] uris, bool serverAuth, DateTimeOffset notBefore, TimeSpan validity)
    {
        using var ca = Directory.LoadCa();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = ca.IssueForUris(uris, name, serverAuth, key, notBefore, validity);
        var folder = Path.Combine(Root, "custom", name);
        System.IO.Directory.CreateDirectory(folder);
        var paths = new CertPaths(Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"));
        SecureFile.WriteAllText(paths.Key, key.ExportPkcs8PrivateKeyPem(), secret: true);
        SecureFile.WriteAllText(paths.Certificate, cert.ExportCertificatePem(), secret: false);
        return paths;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed record CertPaths(string Certificate, string Key);
