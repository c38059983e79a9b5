using System.Net;
using Grpc.Core;
using Strongroom.Edge.Tests.Support;
using Strongroom.Pki;
using Strongroom.Storage.V1;
using Strongroom.Testing;
using StorageApi = Strongroom.Storage.V1.Storage;

namespace Strongroom.Edge.Tests;

/// <summary>What the edge refuses, and proof that a refused call never reaches a backend.</summary>
public sealed class RefusalTests(EdgeStack stack) : IClassFixture<EdgeStack>
{
    private int ArrivedAnywhere(string path) => stack.Storage.Recorder.RequestsFor(path) + stack.Runner.Recorder.RequestsFor(path);

    // Tests of one class run one at a time, so any request arriving during a test came from it.
    private int ArrivedAtAll => stack.Storage.Recorder.Requests.Count + stack.Runner.Recorder.Requests.Count;

    [Theory]
    [InlineData("/strongroom.storage.v1.StorageAdmin/RequestCheckpoint")] // admin
    [InlineData("/strongroom.runner.v1.RunnerAdmin/CancelJob")] // admin
    [InlineData("/strongroom.keyservice.v1.KeyServiceAdmin/ImportKey")] // admin
    [InlineData("/strongroom.keyadmin.v1.KeyAdmin/CreateKey")] // admin (keyservice and signer)
    [InlineData("/strongroom.keyadmin.v1.KeyAdmin/ScheduleDestroyKeyVersion")] // admin (keyservice and signer)
    [InlineData("/google.cloud.kms.v1.KeyManagementService/Decrypt")] // kms
    [InlineData("/google.cloud.kms.v1.KeyManagementService/DestroyCryptoKeyVersion")] // kms
    [InlineData("/strongroom.storage.v1.Storage/PublishKey")] // service-to-service, served by the storage backend
    [InlineData("/strongroom.storage.v1.Storage/PutResult")] // service-to-service
    [InlineData("/strongroom.storage.v1.Storage/RegisterClient")] // operators only
    [InlineData("/strongroom.keyservice.v1.KeyService/UnwrapMessageKey")] // runner only
    [InlineData("/strongroom.keyservice.v1.KeyService/Decapsulate")] // runner only
    [InlineData("/strongroom.keyservice.v1.KeyService/CompleteRequest")] // runner only
    [InlineData("/strongroom.signer.v1.Signer/Sign")] // runner and operators only
    [InlineData("/strongroom.signer.v1.Signer/SignCheckpoint")] // storage only
    [InlineData("/strongroom.storage.v1.Storage/GetResult")] // client-facing, but this edge's configuration does not route it
    public async Task A_method_the_edge_does_not_route_is_answered_by_the_edge_and_never_reaches_a_backend(string path)
    {
        var before = ArrivedAtAll;
        var alice = EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("alice"), stack.Edge.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(() => EdgeClients.CallAsync(alice, path));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Equal(before, ArrivedAtAll);
        Assert.Equal(0, ArrivedAnywhere(path));
        Assert.Contains($"\"action\":\"{path}\"", stack.Edge.AuditText());
    }

    [Fact]
    public async Task The_edges_own_audit_head_is_not_served_on_its_public_listener()
    {
        var alice = EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("alice"), stack.Edge.PublicAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(() => EdgeClients.CallAsync(alice, "/strongroom.audit.v1.AuditLog/GetAuditHead"));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(0, ArrivedAnywhere("/strongroom.audit.v1.AuditLog/GetAuditHead"));
    }

    [Theory]
    [InlineData("POST", "/strongroom.storage.v1.storage/getjwks")] // route matching ignores case; the edge does not
    [InlineData("POST", "/STRONGROOM.STORAGE.V1.STORAGE/GETJWKS")]
    [InlineData("POST", "/strongroom.storage.v1.Storage/GetJwks/")] // trailing slash
    [InlineData("GET", "/strongroom.storage.v1.Storage/GetJwks")] // not a gRPC call
    [InlineData("POST", "/strongroom.storage.v1.Storage/GetJwks/extra")]
    [InlineData("POST", "/")]
    [InlineData("GET", "/index.html")]
    public async Task A_request_that_only_resembles_a_routed_method_is_answered_unimplemented_without_contacting_a_backend(string method, string path)
    {
        var before = ArrivedAtAll;

        var (http, grpcStatus) = await EdgeClients.RawAsync(stack.Pki, stack.Pki.Issue(WorkloadIdentity.Client("alice")), stack.Edge.PublicAddress, new HttpMethod(method), path);

        // A trailers-only gRPC answer: HTTP 200 with the status in the headers.
        Assert.Equal(HttpStatusCode.OK, http);
        Assert.Equal(((int)StatusCode.Unimplemented).ToString(), grpcStatus);
        Assert.Equal(before, ArrivedAtAll);
        Assert.Contains($"\"action\":\"{path}\",\"outcome\":\"UNIMPLEMENTED\"", stack.Edge.AuditText());
    }

    [Fact]
    public async Task The_edges_admin_listener_never_forwards_a_call()
    {
        var before = ArrivedAtAll;
        var alice = new StorageApi.StorageClient(EdgeClients.Create(stack.Pki, WorkloadIdentity.Client("alice"), stack.Edge.AdminAddress));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await alice.GetJwksAsync(new GetJwksRequest()));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Equal(before, ArrivedAtAll);
    }

    [Fact]
    public async Task An_operator_reads_the_edges_audit_head_on_its_admin_listener()
    {
        var root = new Strongroom.Audit.V1.AuditLog.AuditLogClient(EdgeClients.Create(stack.Pki, WorkloadIdentity.Operator("root"), stack.Edge.AdminAddress));

        var head = await root.GetAuditHeadAsync(new Strongroom.Audit.V1.GetAuditHeadRequest());

        Assert.Equal("spiffe://strongroom/edge", head.Service);
    }

    [Theory]
    [InlineData("operator/root")]
    [InlineData("runner")]
    [InlineData("keyservice")]
    [InlineData("storage")]
    [InlineData("edge")]
    public async Task A_service_or_operator_certificate_calling_the_edge_is_refused_with_permission_denied(string identity)
    {
        var who = WorkloadIdentity.ParseShort(identity);
        var before = ArrivedAtAll;
        var caller = new StorageApi.StorageClient(EdgeClients.Create(stack.Pki, who, stack.Edge.PublicAddress));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await caller.GetJwksAsync(new GetJwksRequest()));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(before, ArrivedAtAll);
        Assert.DoesNotContain(stack.Storage.Recorder.Calls, c => c.Caller == who.ToString());
        Assert.Contains($"\"caller\":\"{who}\"", stack.Edge.AuditText());
    }

    [Fact]
    public async Task A_caller_without_a_certificate_is_refused_at_the_handshake_and_audited()
    {
        var anonymous = new StorageApi.StorageClient(EdgeClients.WithoutCertificate(stack.Pki, stack.Edge.PublicAddress));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.GetJwksAsync(new GetJwksRequest()));

        EdgeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("no client certificate", stack.Edge.AuditText());
    }

    [Fact]
    public async Task A_client_certificate_from_a_foreign_ca_is_refused_at_the_handshake_and_audited()
    {
        using var foreign = new TestPki("foreign");
        var impostor = new StorageApi.StorageClient(EdgeClients.Create(stack.Pki, foreign.Issue(WorkloadIdentity.Client("alice")), stack.Edge.PublicAddress));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await impostor.GetJwksAsync(new GetJwksRequest()));

        EdgeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("not issued by the deployment CA", stack.Edge.AuditText());
    }

    [Fact]
    public async Task A_client_on_the_deny_list_is_refused_at_the_handshake_and_audited()
    {
        var mallory = new StorageApi.StorageClient(EdgeClients.Create(stack.Pki, EdgeStack.DeniedClient, stack.Edge.PublicAddress));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await mallory.GetJwksAsync(new GetJwksRequest()));

        EdgeClients.AssertRefusedAtHandshake(ex);
        Assert.Contains("identity is on the deny-list", stack.Edge.AuditText());
        Assert.DoesNotContain(stack.Storage.Recorder.Calls, c => c.Caller == EdgeStack.DeniedClient.ToString());
    }
}
