using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Pki;
using Strongroom.Storage.Tests.Support;
using Strongroom.Storage.V1;

namespace Strongroom.Storage.Tests;

/// <summary>
/// Every storage method (from the service descriptors, so a new method is covered automatically)
/// called by every identity with an empty request: only DESIGN.md §2's rows get past authorization;
/// everyone else gets PERMISSION_DENIED. The edge is believed only for client identities on
/// client-facing methods.
/// </summary>
public sealed class AuthorizationSweepTests(SqliteStorageStack stack) : IClassFixture<SqliteStorageStack>
{
    private static readonly string[] Identities = ["kms", "keyservice", "signer", "storage", "runner", "edge", "client/alice", "operator/admin"];

    private static readonly string[] Everyone = ["kms", "keyservice", "signer", "storage", "runner", "client/alice", "operator/admin"];

    private static readonly string[] ClientFacing = ["GetResult", "ListResults", "GetKeyLogEntries", "GetCheckpoint", "GetInclusionProof", "GetConsistencyProof", "GetJwks", "LookupKey"];

    /// <summary>DESIGN.md §2 and docs/contracts.md, written out here rather than read from configuration.</summary>
    private static string[] Allowed(string service, string method) => (service, method) switch
    {
        ("strongroom.storage.v1.Storage", "PutResult") => ["runner"],
        ("strongroom.storage.v1.Storage", "GetResult" or "ListResults") => ["client/alice", "operator/admin"],
        ("strongroom.storage.v1.Storage", "PublishKey" or "PublishKeyEvent") => ["keyservice", "signer"],
        ("strongroom.storage.v1.Storage", "RegisterClient") => ["operator/admin"],
        ("strongroom.storage.v1.Storage", "GetKeyLogEntries" or "GetCheckpoint" or "GetInclusionProof" or "GetConsistencyProof" or "GetJwks" or "LookupKey") => Everyone,
        ("strongroom.storage.v1.StorageAdmin", _) => ["operator/admin"],
        _ => throw new InvalidOperationException($"no DESIGN row for {service}/{method}: add one"),
    };

    public static TheoryData<string, string> Methods()
    {
        var data = new TheoryData<string, string>();
        foreach (var service in new[] { V1.Storage.Descriptor, StorageAdmin.Descriptor })
        {
            foreach (var method in service.Methods)
            {
                data.Add(service.FullName, method.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task Only_the_identities_design_allows_pass_authorization(string service, string method)
    {
        var descriptor = Find(service, method);
        var allowed = Allowed(service, method);
        var failures = new List<string>();
        foreach (var identity in Identities)
        {
            var status = await CallAsync(descriptor, WorkloadIdentity.ParseShort(identity), Address(service), headers: null);
            if ((status != StatusCode.PermissionDenied) != allowed.Contains(identity))
            {
                failures.Add($"{identity}: {status}");
            }
        }

        Assert.True(failures.Count == 0, $"{service}/{method}: " + string.Join(", ", failures));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task The_edge_is_believed_only_for_client_identities_on_client_facing_methods(string service, string method)
    {
        var descriptor = Find(service, method);
        var clientFacing = service == "strongroom.storage.v1.Storage" && ClientFacing.Contains(method);
        foreach (var claimed in new[] { "spiffe://strongroom/operator/admin", "spiffe://strongroom/runner", "spiffe://strongroom/signer", "spiffe://strongroom/client/alice" })
        {
            var headers = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, claimed } };
            var status = await CallAsync(descriptor, WorkloadIdentity.Edge, Address(service), headers);
            var believed = clientFacing && claimed.Contains("/client/", StringComparison.Ordinal);
            Assert.True(believed == (status != StatusCode.PermissionDenied), $"{service}/{method} as edge claiming {claimed}: {status}");
        }
    }

    [Fact]
    public async Task Admin_methods_are_refused_on_the_public_listener_even_to_operators()
    {
        foreach (var method in StorageAdmin.Descriptor.Methods)
        {
            Assert.Equal(StatusCode.PermissionDenied, await CallAsync(method, WorkloadIdentity.Operator("admin"), stack.PublicAddress, headers: null));
        }
    }

    private string Address(string service) => service.EndsWith("Admin", StringComparison.Ordinal) ? stack.AdminAddress : stack.PublicAddress;

    private static MethodDescriptor Find(string service, string method) =>
        new[] { V1.Storage.Descriptor, StorageAdmin.Descriptor }.Single(s => s.FullName == service).Methods.Single(m => m.Name == method);

    private async Task<StatusCode> CallAsync(MethodDescriptor descriptor, WorkloadIdentity identity, string address, Metadata? headers)
    {
        Assert.False(descriptor.IsClientStreaming || descriptor.IsServerStreaming, "sweep covers unary methods; extend it for streaming");
        var method = new Method<IMessage, IMessage>(MethodType.Unary, descriptor.Service.FullName, descriptor.Name, Marshaller(descriptor.InputType), Marshaller(descriptor.OutputType));
        try
        {
            await stack.Invoker(identity, address).AsyncUnaryCall(method, null, new CallOptions(headers), descriptor.InputType.Parser.ParseFrom(ByteString.Empty));
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    private static Marshaller<IMessage> Marshaller(MessageDescriptor type) =>
        Marshallers.Create(m => m.ToByteArray(), bytes => type.Parser.ParseFrom(bytes));
}
