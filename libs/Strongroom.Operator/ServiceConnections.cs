using Grpc.Core;
using Strongroom.Pki;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Operator;

/// <summary>
/// mTLS connections to services, as the identity whose certificate is in the PKI folder. Admin
/// listeners are reached directly: never through the edge.
/// </summary>
public sealed class ServiceConnections(string pkiDirectory, string identity) : IDisposable
{
    private readonly PkiDirectory _pki = new(pkiDirectory);
    private readonly List<IDisposable> _owned = [];

    public CallInvoker To(string address, string service, TimeSpan? deadline = null)
    {
        var id = WorkloadIdentity.ParseShort(identity);
        var certificate = new ReloadingCertificate(_pki.CertificatePath(id), _pki.KeyPath(id), TimeSpan.FromSeconds(1));
        _owned.Add(certificate);
        var validator = new PeerCertificateValidator(new TrustAnchor(_pki.TrustBundlePath, TimeSpan.FromSeconds(1)), EmptyDenyList.Instance);
        return MtlsChannelFactory.Create(
            new DownstreamOptions { Address = address, Identity = service, Deadline = deadline ?? TimeSpan.FromSeconds(30) },
            certificate,
            validator);
    }

    public void Dispose()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }
}
