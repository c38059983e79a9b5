using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Strongroom.Pki;

/// <summary>
/// The deployment CA. Its key signs workload certificates and nothing else; it is only ever loaded by
/// the operator's CLI, never by a running service (services get the CA certificate alone).
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    public const string NameConstraintsOid = "2.5.29.30";

    private readonly ECDsa _key;

    private CertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    public static CertificateAuthority Create(string deploymentName, DateTimeOffset now, TimeSpan validity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deploymentName);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var subject = new X500DistinguishedNameBuilder();
            subject.AddOrganizationName("Strongroom");
            subject.AddCommonName($"Strongroom deployment CA ({deploymentName})");
            var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
            // pathLen 0: the CA issues leaves only, no intermediate can extend the name space.
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(PermittedUriHost(WorkloadIdentity.TrustDomain));
            using var selfSigned = request.CreateSelfSigned(now.AddMinutes(-5), now + validity);
            var publicOnly = X509CertificateLoader.LoadCertificate(selfSigned.RawData);
            return new CertificateAuthority(publicOnly, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static CertificateAuthority Load(string certificatePemPath, string keyPemPath)
    {
        var certificate = X509CertificateLoader.LoadCertificateFromFile(certificatePemPath);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPemPath));
            using var check = certificate.CopyWithPrivateKey(key);
            return new CertificateAuthority(certificate, key);
        }
        catch
        {
            key.Dispose();
            certificate.Dispose();
            throw;
        }
    }

    public string ExportKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>
    /// Issues a workload certificate whose only URI SAN is <paramref name="identity"/>. Services get
    /// serverAuth + clientAuth; clients and operators clientAuth only (DESIGN §2).
    /// </summary>
    public X509Certificate2 Issue(
        WorkloadIdentity identity,
        ECDsa subjectKey,
        DateTimeOffset notBefore,
        TimeSpan validity,
        IEnumerable<string>? dnsNames = null,
        IEnumerable<IPAddress>? ipAddresses = null) =>
        IssueForUris([identity.Uri], identity.Path, identity.IsService, subjectKey, notBefore, validity, dnsNames, ipAddresses);

    /// <summary>
    /// Issues a leaf for arbitrary URI SANs. Only <see cref="Issue"/> is used for real identities;
    /// this exists so tests can prove that malformed identities are refused even when CA-signed.
    /// </summary>
    public X509Certificate2 IssueForUris(
        IReadOnlyList<Uri> uris,
        string commonName,
        bool serverAuth,
        ECDsa subjectKey,
        DateTimeOffset notBefore,
        TimeSpan validity,
        IEnumerable<string>? dnsNames = null,
        IEnumerable<IPAddress>? ipAddresses = null)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("Strongroom");
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), subjectKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection { new Oid(CertificateIdentity.ClientAuthOid) };
        if (serverAuth)
        {
            usages.Add(new Oid(CertificateIdentity.ServerAuthOid));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var uri in uris)
        {
            san.AddUri(uri);
        }

        foreach (var dns in dnsNames ?? [])
        {
            san.AddDnsName(dns);
        }

        foreach (var ip in ipAddresses ?? [])
        {
            san.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(san.Build(true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));

        var notAfter = notBefore + validity;
        if (notAfter > Certificate.NotAfter)
        {
            notAfter = Certificate.NotAfter;
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var generator = X509SignatureGenerator.CreateForECDsa(_key);
        return request.Create(Certificate.SubjectName, generator, notBefore, notAfter, serial);
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }

    /// <summary>
    /// nameConstraints permitting only URI names whose host is exactly <paramref name="host"/>
    /// (RFC 5280 §4.2.1.10: URI constraints match the host part), marked critical.
    /// </summary>
    internal static X509Extension PermittedUriHost(string host)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        using (writer.PushSequence())
        {
            writer.WriteCharacterString(UniversalTagNumber.IA5String, host, new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return new X509Extension(NameConstraintsOid, writer.Encode(), critical: true);
    }
}
