using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Strongroom.Pki;

/// <summary>Reads the URI SANs of a certificate (the BCL only enumerates DNS names and IP addresses).</summary>
public static class CertificateIdentity
{
    public const string SubjectAltNameOid = "2.5.29.17";
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>All uniformResourceIdentifier entries of the SAN extension; empty when there is none.</summary>
    public static IReadOnlyList<string> GetUriSans(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        foreach (var ext in certificate.Extensions)
        {
            if (ext.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(UriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }

        return uris;
    }

    /// <summary>
    /// The certificate's workload identity: exactly one URI SAN that matches DESIGN §2's pattern.
    /// Returns a reason (never certificate contents beyond the identity) when it has none.
    /// </summary>
    public static bool TryGetIdentity(X509Certificate2 certificate, out WorkloadIdentity? identity, out string reason)
    {
        identity = null;
        IReadOnlyList<string> uris;
        try
        {
            uris = GetUriSans(certificate);
        }
        catch (AsnContentException)
        {
            reason = "malformed subjectAltName";
            return false;
        }

        if (uris.Count != 1)
        {
            reason = uris.Count == 0 ? "no URI SAN" : "more than one URI SAN";
            return false;
        }

        if (!WorkloadIdentity.TryParse(uris[0], out identity))
        {
            reason = "URI SAN is not a Strongroom workload identity";
            return false;
        }

        reason = "";
        return true;
    }

    public static bool HasExtendedKeyUsage(X509Certificate2 certificate, string oid)
    {
        foreach (var ext in certificate.Extensions)
        {
            if (ext is X509EnhancedKeyUsageExtension eku)
            {
                foreach (var usage in eku.EnhancedKeyUsages)
                {
                    if (usage.Value == oid)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        // RFC 5280: no EKU extension means any purpose; our CA always sets one, so be strict.
        return false;
    }
}
