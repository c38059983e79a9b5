using Google.Cloud.Kms.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyService.Tests.Support;
using Strongroom.KeyService.V1;
using Strongroom.Pki;

namespace Strongroom.KeyService.Tests;

/// <summary>
/// Every method of kms and keyservice, KeyAdmin included (enumerated from the service descriptors,
/// so a new method is covered automatically) called by every identity: only DESIGN.md §2's rows succeed in passing
/// authorization; every other identity gets PERMISSION_DENIED.
/// </summary>
public sealed class AuthorizationSweepTests(KeyServiceStack stack) : IClassFixture<KeyServiceStack>
{
    private static readonly string[] Identities = ["kms", "keyservice", "signer", "storage", "runner", "edge", "client/alice", "operator/admin"];

    /// <summary>DESIGN.md §2, written out here rather than read from configuration, so a wrong policy file fails.</summary>
    private static string[] Allowed(string service, string method) => (service, method) switch
    {
        ("strongroom.keyservice.v1.KeyService", "GetPublicKey" or "ListPublicKeys") => ["kms", "keyservice", "signer", "storage", "runner", "client/alice", "operator/admin"],
        ("strongroom.keyservice.v1.KeyService", "UnwrapMessageKey" or "Decapsulate" or "CompleteRequest") => ["runner"],
        ("strongroom.keyservice.v1.KeyServiceAdmin" or "strongroom.keyadmin.v1.KeyAdmin", _) => ["operator/admin"],
        ("google.cloud.kms.v1.KeyManagementService", "Encrypt" or "Decrypt") => ["keyservice", "signer"],
        ("google.cloud.kms.v1.KeyManagementService", _) => ["keyservice", "signer", "operator/admin"],
        _ => throw new InvalidOperationException($"no DESIGN row for {service}/{method}: add one"),
    };

    /// <summary>Everything keyservice's and kms's listeners serve; KeyAdmin is keyservice's share of the one key-admin API.</summary>
    private static readonly ServiceDescriptor[] Services = [V1.KeyService.Descriptor, KeyServiceAdmin.Descriptor, KeyAdmin.V1.KeyAdmin.Descriptor, KeyManagementService.Descriptor];

    private static readonly ServiceDescriptor[] AdminServices = [KeyServiceAdmin.Descriptor, KeyAdmin.V1.KeyAdmin.Descriptor];

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
        var (address, expected) = Listener(service);
        var failures = new List<string>();
        foreach (var identity in Identities)
        {
            var status = await CallAsync(descriptor, WorkloadIdentity.ParseShort(identity), address, expected, headers: null);
            var passed = status != StatusCode.PermissionDenied;
            if (passed != allowed.Contains(identity))
            {
                failures.Add($"{identity}: {status}");
            }
        }

        Assert.True(failures.Count == 0, $"{service}/{method}: " + string.Join(", ", failures));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task The_edge_claiming_an_operator_or_client_identity_is_refused_on_every_admin_and_service_method(string service, string method)
    {
        var descriptor = Find(service, method);
        var (address, expected) = Listener(service);
        var clientFacing = service == "strongroom.keyservice.v1.KeyService" && method is "GetPublicKey" or "ListPublicKeys";

        foreach (var claimed in new[] { "spiffe://strongroom/operator/admin", "spiffe://strongroom/runner", "spiffe://strongroom/client/alice" })
        {
            var headers = new Metadata { { RpcAuthorizer.ForwardedIdentityHeader, claimed } };
            var status = await CallAsync(descriptor, WorkloadIdentity.Edge, address, expected, headers);
            var believed = clientFacing && claimed.Contains("/client/", StringComparison.Ordinal);
            Assert.True(believed == (status != StatusCode.PermissionDenied), $"{service}/{method} as edge claiming {claimed}: {status}");
        }
    }

    [Fact]
    public async Task Admin_methods_are_refused_on_the_public_listener_even_to_operators()
    {
        foreach (var method in AdminServices.SelectMany(s => s.Methods))
        {
            var status = await CallAsync(method, WorkloadIdentity.Operator("admin"), stack.KeyServicePublic, "keyservice", headers: null);
            Assert.Equal(StatusCode.PermissionDenied, status);
        }
    }

    private (string Address, string Service) Listener(string service) => service switch
    {
        "strongroom.keyservice.v1.KeyService" => (stack.KeyServicePublic, "keyservice"),
        "strongroom.keyservice.v1.KeyServiceAdmin" or "strongroom.keyadmin.v1.KeyAdmin" => (stack.KeyServiceAdmin, "keyservice"),
        _ => (stack.KmsAdmin, "kms"),
    };

    private static MethodDescriptor Find(string service, string method) =>
        Services.Single(s => s.FullName == service).Methods.Single(m => m.Name == method);

    /// <summary>Calls the method with an empty request and returns the status (OK when it succeeded).</summary>
    private async Task<StatusCode> CallAsync(MethodDescriptor descriptor, WorkloadIdentity identity, string address, string service, Metadata? headers)
    {
        Assert.False(descriptor.IsClientStreaming || descriptor.IsServerStreaming, "sweep covers unary methods; extend it for streaming");
        var method = new Method<IMessage, IMessage>(
            MethodType.Unary,
            descriptor.Service.FullName,
            descriptor.Name,
            Marshaller(descriptor.InputType),
            Marshaller(descriptor.OutputType));
        var invoker = stack.Invoker(identity, address, service);
        try
        {
            await invoker.AsyncUnaryCall(method, null, new CallOptions(headers), descriptor.InputType.Parser.ParseFrom(ByteString.Empty));
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
