using Grpc.Core;
using Strongroom.Audit.V1;
using Strongroom.Hosting.Audit;
using Strongroom.Hosting.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Testing.V1;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Tests;

/// <summary>The audit head is what operators anchor in the key log: served to operators on the admin listener only.</summary>
public sealed class AuditHeadTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private AuditLog.AuditLogClient Client(WorkloadIdentity identity, string address) => new(MtlsChannelFactory.Create(
        new DownstreamOptions { Address = address, Identity = "storage" },
        new ReloadingCertificate(_pki.Issue(identity).Certificate, _pki.Directory.KeyPath(identity), TimeSpan.Zero),
        new PeerCertificateValidator(new TrustAnchor(_pki.CaFile, TimeSpan.Zero), EmptyDenyList.Instance)));

    [Fact]
    public async Task An_operator_reads_the_audit_head_on_the_admin_listener_and_it_verifies_the_file()
    {
        await using var server = await ProbeServer.StartAsync(_pki);
        await ProbeClients.Create(_pki, WorkloadIdentity.Runner, server.PublicAddress).PingAsync(new PingRequest());

        var head = await Client(WorkloadIdentity.Operator("alice"), server.AdminAddress).GetAuditHeadAsync(new GetAuditHeadRequest());

        Assert.Equal("spiffe://strongroom/storage", head.Service);
        Assert.True(head.Size >= 1);
        var anchored = new AuditHead(head.Size, head.HeadHash.ToByteArray(), head.HeadTime);
        Assert.True(AuditTrail.VerifyFile(server.AuditPath, anchored).Valid);
    }

    [Fact]
    public async Task The_audit_head_is_refused_on_the_public_listener_and_to_non_operators()
    {
        await using var server = await ProbeServer.StartAsync(_pki);

        var publicListener = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client(WorkloadIdentity.Operator("alice"), server.PublicAddress).GetAuditHeadAsync(new GetAuditHeadRequest()));
        var runner = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client(WorkloadIdentity.Runner, server.AdminAddress).GetAuditHeadAsync(new GetAuditHeadRequest()));

        Assert.Equal(StatusCode.PermissionDenied, publicListener.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, runner.StatusCode);
    }
}
