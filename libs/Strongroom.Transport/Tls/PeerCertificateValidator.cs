using System.Security.Cryptography.X509Certificates;
using Strongroom.Pki;

namespace Strongroom.Transport.Tls;

/// <summary>Which side of the connection the peer is on: what we check differs (EKU, expected SAN).</summary>
public enum PeerRole
{
    /// <summary>We are the server; the peer is a caller and needs clientAuth.</summary>
    Client,

    /// <summary>We are the client; the peer is the service we meant to call and needs serverAuth.</summary>
    Server,
}

/// <summary>The outcome of checking a peer certificate; <see cref="Reason"/> is safe to audit and show.</summary>
public readonly record struct PeerCheck(bool Ok, WorkloadIdentity? Identity, string Reason)
{
    public static PeerCheck Refused(string reason, WorkloadIdentity? identity = null) => new(false, identity, reason);
}

/// <summary>Answers whether an identity is currently on the deny-list.</summary>
public interface IDenyList
{
    bool IsDenied(WorkloadIdentity identity);
}

/// <summary>
/// The one place a peer certificate is judged, for servers (callers) and clients (services) alike:
/// chain to the deployment CA only, validity now, the right extended key usage, exactly one URI SAN of
/// DESIGN §2's pattern, not denied — and for a server, the SAN equals the service we meant to call.
/// </summary>
public sealed class PeerCertificateValidator(TrustAnchor trust, IDenyList denyList, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public PeerCheck Validate(X509Certificate? presented, PeerRole role, WorkloadIdentity? expected = null)
    {
        if (presented is null)
        {
            return PeerCheck.Refused(role == PeerRole.Client ? "no client certificate" : "no server certificate");
        }

        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        if (!CertificateIdentity.TryGetIdentity(certificate, out var identity, out var sanProblem))
        {
            return PeerCheck.Refused(sanProblem);
        }

        var chainProblem = CheckChain(certificate);
        if (chainProblem is not null)
        {
            return PeerCheck.Refused(chainProblem, identity);
        }

        var usage = role == PeerRole.Client ? CertificateIdentity.ClientAuthOid : CertificateIdentity.ServerAuthOid;
        if (!CertificateIdentity.HasExtendedKeyUsage(certificate, usage))
        {
            return PeerCheck.Refused(role == PeerRole.Client ? "certificate lacks clientAuth" : "certificate lacks serverAuth", identity);
        }

        if (role == PeerRole.Server && !identity!.IsService)
        {
            return PeerCheck.Refused("server certificate is not a service identity", identity);
        }

        // Without this a storage certificate could pose as keyservice: both chain to the same CA.
        if (expected is not null && identity != expected)
        {
            return PeerCheck.Refused($"server is {identity}, expected {expected}", identity);
        }

        if (denyList.IsDenied(identity!))
        {
            return PeerCheck.Refused("identity is on the deny-list", identity);
        }

        return new PeerCheck(true, identity, "");
    }

    private string? CheckChain(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(trust.Roots);
        // Short-lived certificates and the deny-list replace CRLs; nothing is fetched from the network.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        policy.VerificationTimeIgnored = false;
        policy.DisableCertificateDownloads = true;
        if (chain.Build(certificate))
        {
            return chain.ChainElements.Count == 2 ? null : "unexpected chain length";
        }

        var flags = X509ChainStatusFlags.NoError;
        foreach (var status in chain.ChainStatus)
        {
            flags |= status.Status;
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return "certificate expired or not yet valid";
        }

        if ((flags & (X509ChainStatusFlags.HasNotPermittedNameConstraint | X509ChainStatusFlags.HasExcludedNameConstraint
                      | X509ChainStatusFlags.HasNotSupportedNameConstraint | X509ChainStatusFlags.InvalidNameConstraints)) != 0)
        {
            return "name outside the CA's name constraints";
        }

        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid)) != 0)
        {
            return "not issued by the deployment CA";
        }

        return "certificate chain invalid";
    }
}

/// <summary>A deny-list with nobody on it, for tools and clients that have no configuration to read one from.</summary>
public sealed class EmptyDenyList : IDenyList
{
    public static readonly EmptyDenyList Instance = new();

    public bool IsDenied(WorkloadIdentity identity) => false;
}
