using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Pki;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Tests;

/// <summary>
/// Every signer method, KeyAdmin included (enumerated from the service descriptors, so a new method is covered
/// automatically) called by every identity: only DESIGN.md §2's rows pass authorization; every
/// other identity gets PERMISSION_DENIED. The edge is never a principal.
/// </summary>
public sealed class AuthorizationSweepTests(SignerStack stack) : IClassFixture<SignerStack>
{
    private static readonly string[] Identities = ["kms", "keyservice", "signer", "storage", "runner", "edge", "client/alice", "operator/admin"];

    private static readonly string[] Authenticated = ["kms", "keyservice", "signer", "storage", "runner", "client/alice", "operator/admin"];

    /// <summary>DESIGN.md §2, written out here rather than read from configuration, so a wrong policy file fails.</summary>
    private static string[] Allowed(string service, string method) => (service, method) switch
    {
        ("strongroom.signer.v1.Signer", "Sign" or "SignStream" or "SignBatch") => ["runner", "operator/admin"],
        ("strongroom.signer.v1.Signer", "SignCheckpoint") => ["storage"],
        ("strongroom.signer.v1.Signer", "Verify" or "GetJwks" or "GetLatestCheckpoint") => Authenticated,
        ("strongroom.signer.v1.SignerAdmin" or "strongroom.keyadmin.v1.KeyAdmin", _) => ["operator/admin"],
        _ => throw new InvalidOperationException($"no DESIGN row for {service}/{method}: add one"),
    };

    /// <summary>Everything the signer serves; KeyAdmin is its share of the one key-admin API.</summary>
    private static readonly ServiceDescriptor[] Services = [Api.Signer.Descriptor, Api.SignerAdmin.Descriptor, KeyAdmin.V1.KeyAdmin.Descriptor];

    private static readonly ServiceDescriptor[] AdminServices = [Api.SignerAdmin.Descriptor, KeyAdmin.V1.KeyAdmin.Descriptor];

    public static TheoryData<string, string> Methods()
    {
        var data = new TheoryData<string, string>();
        foreach (var service in Services)
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
        var address = AdminServices.Any(s => s.FullName == service) ? stack.SignerAdmin : stack.SignerPublic;
        var failures = new List<string>();
        foreach (var identity in Identities)
        {
            var status = await CallAsync(descriptor, WorkloadIdentity.ParseShort(identity), address, headers: null);
            if ((status != StatusCode.PermissionDenied) != allowed.Contains(identity))
            {
                failures.Add($"{identity}: {status}");
            }
        }

        Assert.True(failures.Count == 0, $"{service}/{method}: " + string.Join(", ", failures));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task The_edge_claiming_any_identity_is_refused_on_every_method(string service, string method)
    {
        // No signer method is client-facing: the edge routes none of them, so no forwarded identity is believed.
        var descriptor = Find(service, method);
        var address = AdminServices.Any(s => s.FullName == service) ? stack.SignerAdmin : stack.SignerPublic;
        foreach (var claimed in new[] { "spiffe://strongroom/operator/admin", "spiffe://strongroom/runner", "spiffe://strongroom/storage", "spiffe://strongroom/client/alice" })
        {
            var headers = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, claimed } };
            Assert.Equal(StatusCode.PermissionDenied, await CallAsync(descriptor, WorkloadIdentity.Edge, address, headers));
        }
    }

    [Fact]
    public async Task Admin_methods_are_refused_on_the_public_listener_even_to_operators()
    {
        foreach (var method in AdminServices.SelectMany(s => s.Methods))
        {
            Assert.Equal(StatusCode.PermissionDenied, await CallAsync(method, WorkloadIdentity.Operator("admin"), stack.SignerPublic, headers: null));
        }
    }

    private static MethodDescriptor Find(string service, string method) =>
        Services.Single(s => s.FullName == service).Methods.Single(m => m.Name == method);

    /// <summary>Calls the method with an empty request (or an empty stream) and returns the status (OK when it succeeded).</summary>
    private async Task<StatusCode> CallAsync(MethodDescriptor descriptor, WorkloadIdentity identity, string address, Metadata? headers)
    {
        var type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, true) => MethodType.DuplexStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.ServerStreaming,
        };
        var method = new Method<IMessage, IMessage>(type, descriptor.Service.FullName, descriptor.Name, Marshaller(descriptor.InputType), Marshaller(descriptor.OutputType));
        var invoker = stack.Invoker(identity, address);
        var empty = descriptor.InputType.Parser.ParseFrom(ByteString.Empty);
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(method, null, new CallOptions(headers), empty);
                    break;
                case MethodType.DuplexStreaming:
                    using (var call = invoker.AsyncDuplexStreamingCall(method, null, new CallOptions(headers)))
                    {
                        await call.RequestStream.CompleteAsync();
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }

                    break;
                default:
                    throw new InvalidOperationException("extend the sweep for " + type);
            }

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
