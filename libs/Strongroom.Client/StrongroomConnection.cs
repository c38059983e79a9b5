using Grpc.Core;
using Strongroom.Pki;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;
using KeyServiceApi = Strongroom.KeyService.V1;
using RunnerApi = Strongroom.Runner.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Client;

/// <summary>
/// mTLS to the edge as a client: the client certificate from a PKI folder (reloaded when renewed),
/// trust only in the deployment CA, and the server's URI SAN must be the edge's. Only the generated
/// clients; the checks live in <see cref="PinnedLog"/>, <see cref="RecipientKeys"/> and <see cref="ResultVerifier"/>.
/// </summary>
public sealed class StrongroomConnection : IDisposable
{
    private readonly ReloadingCertificate _certificate;

    /// <param name="pkiDirectory">The PKI folder (ca.crt and the identity's tls.crt/tls.key).</param>
    /// <param name="identity">Short form, e.g. <c>client/alice</c>.</param>
    /// <param name="edgeAddress">https://host:port of the edge.</param>
    /// <param name="serverIdentity">The identity the server must prove; <c>edge</c> unless talking to a service directly.</param>
    public StrongroomConnection(string pkiDirectory, string identity, string edgeAddress, string serverIdentity = "edge", TimeSpan? deadline = null)
    {
        var pki = new PkiDirectory(pkiDirectory);
        Identity = WorkloadIdentity.ParseShort(identity);
        _certificate = new ReloadingCertificate(pki.CertificatePath(Identity), pki.KeyPath(Identity), TimeSpan.FromSeconds(30));
        var validator = new PeerCertificateValidator(new TrustAnchor(pki.TrustBundlePath, TimeSpan.FromSeconds(30)), EmptyDenyList.Instance);
        Invoker = MtlsChannelFactory.Create(
            new DownstreamOptions { Address = edgeAddress, Identity = serverIdentity, Deadline = deadline ?? TimeSpan.FromSeconds(30) },
            _certificate,
            validator);
        Runner = new RunnerApi.Runner.RunnerClient(Invoker);
        Storage = new StorageApi.Storage.StorageClient(Invoker);
        KeyService = new KeyServiceApi.KeyService.KeyServiceClient(Invoker);
    }

    public WorkloadIdentity Identity { get; }

    public CallInvoker Invoker { get; }

    public RunnerApi.Runner.RunnerClient Runner { get; }

    public StorageApi.Storage.StorageClient Storage { get; }

    public KeyServiceApi.KeyService.KeyServiceClient KeyService { get; }

    public IKeyLogSource KeyLog => new GrpcKeyLogSource(Storage);

    public IPublicKeySource PublicKeys => new GrpcPublicKeySource(KeyService);

    public void Dispose() => _certificate.Dispose();
}
