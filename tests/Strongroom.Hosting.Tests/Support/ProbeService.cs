using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.Testing.V1;

namespace Strongroom.Hosting.Tests.Support;

/// <summary>A thin service on the hosting library, as every real service is.</summary>
public sealed class ProbeService : Probe.ProbeBase
{
    public const string SecretText = "sk_live_do_not_leak_0123456789";

    public override Task<PingResponse> Ping(PingRequest request, ServerCallContext context) => Task.FromResult(Describe(context));

    public override Task<PingResponse> AdminPing(PingRequest request, ServerCallContext context) => Task.FromResult(Describe(context));

    public override Task<PingResponse> ClientPing(PingRequest request, ServerCallContext context) => Task.FromResult(Describe(context));

    public override Task<PingResponse> Fail(FailRequest request, ServerCallContext context) => request.Mode switch
    {
        FailRequest.Types.Mode.InvalidArgument => throw StrongroomException.InvalidArgument("name", "must not be empty"),
        FailRequest.Types.Mode.NotFound => throw StrongroomException.NotFound("key 'k1'"),
        _ => throw new InvalidOperationException("database at /var/lib/secret failed with " + SecretText),
    };

    private static PingResponse Describe(ServerCallContext context)
    {
        var caller = context.GetCaller();
        return new PingResponse
        {
            Caller = caller.Identity.ToString(),
            Peer = caller.Peer.ToString(),
            ClientCertificateSerial = context.GetHttpContext().Connection.ClientCertificate?.SerialNumber ?? "",
        };
    }
}
