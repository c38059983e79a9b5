using Google.Rpc;
using Grpc.Core;
using Strongroom.Hosting.Tests.Support;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Testing.V1;

namespace Strongroom.Hosting.Tests;

/// <summary>Failures reach callers as the right status with no internal detail.</summary>
public sealed class ErrorMappingTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private ProbeServer _server = null!;
    private Probe.ProbeClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ProbeServer.StartAsync(_pki);
        _client = ProbeClients.Create(_pki, WorkloadIdentity.Client("alice"), _server.PublicAddress);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task An_unexpected_exception_becomes_internal_with_only_a_reference()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await _client.FailAsync(new FailRequest { Mode = FailRequest.Types.Mode.Unexpected }));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Matches(@"^internal error \(ref [0-9a-f]{12}\)$", ex.Status.Detail);
        Assert.DoesNotContain(ProbeService.SecretText, ex.ToString());
        Assert.DoesNotContain("/var/lib", ex.ToString());
        Assert.DoesNotContain(ProbeService.SecretText, _server.AuditText());
    }

    [Fact]
    public async Task A_domain_invalid_argument_carries_field_details()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await _client.FailAsync(new FailRequest { Mode = FailRequest.Types.Mode.InvalidArgument }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var status = ex.GetRpcStatus();
        Assert.NotNull(status);
        var badRequest = status!.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        Assert.Equal("name", badRequest!.FieldViolations[0].Field);
    }

    [Fact]
    public async Task A_domain_not_found_maps_to_not_found_and_is_audited()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await _client.FailAsync(new FailRequest { Mode = FailRequest.Types.Mode.NotFound }));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("key 'k1' not found", ex.Status.Detail);
        Assert.Contains("\"outcome\":\"NotFound\"", _server.AuditText());
    }
}
