using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Pki;
using Strongroom.Signer.Tests.Support;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Tests;

/// <summary>typ, runner and iat are the signer's choice, from the authenticated caller and its own clock.</summary>
public sealed class SignTests(SignerStack stack) : IClassFixture<SignerStack>
{
    private static ByteString Payload(string text) => ByteString.CopyFrom(Encoding.UTF8.GetBytes(text));

    private static JsonElement Header(Api.SignResponse response) => JsonDocument.Parse(response.ProtectedHeaderJson).RootElement;

    [Fact]
    public async Task The_runner_gets_strongroom_result_and_an_operator_gets_strongroom_config()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var result = await stack.Runner.SignAsync(new Api.SignRequest { Payload = Payload("{}") });
        var config = await stack.Public(WorkloadIdentity.Operator("alice")).SignAsync(new Api.SignRequest { Payload = Payload("{}") });

        Assert.Equal("strongroom-result", Header(result).GetProperty("typ").GetString());
        Assert.Equal("spiffe://strongroom/runner", Header(result).GetProperty("runner").GetString());
        Assert.Equal("strongroom-config", Header(config).GetProperty("typ").GetString());
        Assert.Equal("spiffe://strongroom/operator/alice", Header(config).GetProperty("runner").GetString());
        Assert.InRange(result.IssuedAt, before - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(new[] { "alg", "kid", "typ", "runner", "iat" }, Header(result).EnumerateObject().Select(p => p.Name));
        Assert.Equal("results", result.KeyName);
        Assert.True(result.Version >= 1);
    }

    [Fact]
    public async Task A_config_typed_JWS_is_not_accepted_where_a_result_is_expected()
    {
        var config = await stack.Public(WorkloadIdentity.Operator("alice")).SignAsync(new Api.SignRequest { Payload = Payload("{\"job\":\"x\"}") });
        var asResult = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = config.Jws, ExpectedTyp = "strongroom-result" });
        Assert.False(asResult.Valid);
        Assert.Equal(Api.VerifyFailure.TypeMismatch, asResult.Failure);
        Assert.Equal("strongroom-config", asResult.Typ);

        var asConfig = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = config.Jws, ExpectedTyp = "strongroom-config" });
        Assert.True(asConfig.Valid, asConfig.Detail);
    }

    [Theory]
    [InlineData("typ")]
    [InlineData("runner")]
    [InlineData("iat")]
    public async Task A_caller_cannot_smuggle_header_members_through_fields_the_contract_does_not_define(string member)
    {
        // Field 5+ does not exist in SignRequest; a caller adding one (e.g. a "typ") is refused, not ignored.
        var request = new Api.SignRequest { Payload = Payload("{}") }.ToByteArray();
        using var extra = new MemoryStream();
        var output = new CodedOutputStream(extra);
        output.WriteTag(5, WireFormat.WireType.LengthDelimited);
        output.WriteString(member + "=strongroom-config");
        output.Flush();
        var smuggled = Api.SignRequest.Parser.ParseFrom([.. request, .. extra.ToArray()]);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await stack.Runner.SignAsync(smuggled));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task The_log_key_signs_no_JWS()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Runner.SignAsync(new Api.SignRequest { KeyName = "keylog", Payload = Payload("{}") }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);

        var logKey = await stack.Admin().GetLogKeyAsync(new Api.GetLogKeyRequest());
        var jwks = await stack.Runner.GetJwksAsync(new Api.GetJwksRequest());
        Assert.DoesNotContain(logKey.Kid, jwks.JwksJson, StringComparison.Ordinal);
        Assert.All(jwks.Keys, k => Assert.Equal(Api.KeyPurpose.Jws, k.Purpose));
    }

    [Fact]
    public async Task An_oversized_payload_is_refused_and_nothing_is_signed()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Runner.SignAsync(new Api.SignRequest { Payload = ByteString.CopyFrom(new byte[65537]) }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task An_unknown_key_name_is_not_found()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await stack.Runner.SignAsync(new Api.SignRequest { KeyName = "no-such-key", Payload = Payload("{}") }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task SignStream_answers_in_request_order_echoing_each_sequence()
    {
        using var call = stack.Runner.SignStream();
        for (ulong i = 1; i <= 20; i++)
        {
            await call.RequestStream.WriteAsync(new Api.SignStreamRequest { Sequence = i * 7, Request = new Api.SignRequest { Payload = Payload($"{{\"n\":{i}}}") } });
        }

        await call.RequestStream.CompleteAsync();
        var responses = new List<Api.SignStreamResponse>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            responses.Add(response);
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (ulong)i * 7), responses.Select(r => r.Sequence));
        foreach (var (response, i) in responses.Select((r, i) => (r, i + 1)))
        {
            var verified = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = response.Response.Jws });
            Assert.True(verified.Valid);
            Assert.Equal($"{{\"n\":{i}}}", verified.Payload.ToStringUtf8());
        }
    }

    [Fact]
    public async Task SignStream_ends_with_the_first_failure()
    {
        using var call = stack.Runner.SignStream();
        await call.RequestStream.WriteAsync(new Api.SignStreamRequest { Sequence = 1, Request = new Api.SignRequest { Payload = Payload("{}") } });
        await call.RequestStream.WriteAsync(new Api.SignStreamRequest { Sequence = 2, Request = new Api.SignRequest { KeyName = "keylog", Payload = Payload("{}") } });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1ul, call.ResponseStream.Current.Sequence);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
