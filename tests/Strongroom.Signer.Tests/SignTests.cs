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

        var logKey = await stack.LogKeyAdmin().GetLogKeyAsync(new Api.GetLogKeyRequest());
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

    [Fact]
    public async Task SignBatch_signs_every_payload_in_order_under_one_header_and_key_version()
    {
        var request = new Api.SignBatchRequest();
        request.Payloads.Add(Enumerable.Range(1, 50).Select(i => Payload($"{{\"n\":{i}}}")));

        var batch = await stack.Runner.SignBatchAsync(request);

        Assert.Equal(50, batch.Jws.Count);
        var headerSegment = batch.Jws[0][..batch.Jws[0].IndexOf('.', StringComparison.Ordinal)];
        Assert.Equal(batch.ProtectedHeaderJson, Encoding.UTF8.GetString(Strongroom.Crypto.StrictBase64.DecodeUrl(headerSegment)));
        using var header = JsonDocument.Parse(batch.ProtectedHeaderJson);
        Assert.Equal(batch.Kid, header.RootElement.GetProperty("kid").GetString());
        Assert.Equal("strongroom-result", header.RootElement.GetProperty("typ").GetString());
        Assert.Equal(batch.IssuedAt, header.RootElement.GetProperty("iat").GetInt64());
        Assert.Equal("results", batch.KeyName);
        for (var i = 0; i < 50; i++)
        {
            Assert.StartsWith(headerSegment + ".", batch.Jws[i], StringComparison.Ordinal);
            var verified = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = batch.Jws[i], ExpectedTyp = "strongroom-result" });
            Assert.True(verified.Valid, verified.Detail);
            Assert.Equal($"{{\"n\":{i + 1}}}", verified.Payload.ToStringUtf8());
        }
    }

    [Fact]
    public async Task SignBatch_is_all_or_nothing_and_names_the_refused_payload()
    {
        var request = new Api.SignBatchRequest { Payloads = { Payload("{}"), Payload("{}"), ByteString.CopyFrom(new byte[65537]) } };
        var oversized = await Assert.ThrowsAsync<RpcException>(async () => await stack.Runner.SignBatchAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, oversized.StatusCode);
        Assert.Contains("payloads[2]", oversized.Status.Detail, StringComparison.Ordinal);

        var empty = await Assert.ThrowsAsync<RpcException>(async () => await stack.Runner.SignBatchAsync(new Api.SignBatchRequest()));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);

        var tooMany = new Api.SignBatchRequest();
        tooMany.Payloads.Add(Enumerable.Range(0, 257).Select(_ => Payload("{}")));
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await stack.Runner.SignBatchAsync(tooMany));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);

        var logKey = await Assert.ThrowsAsync<RpcException>(async () => await stack.Runner.SignBatchAsync(new Api.SignBatchRequest { KeyName = "keylog", Payloads = { Payload("{}") } }));
        Assert.Equal(StatusCode.InvalidArgument, logKey.StatusCode);
    }

    [Fact]
    public async Task SignBatch_detached_and_flattened_signatures_verify()
    {
        var payloads = new[] { Payload("{\"a\":1}"), Payload("{\"b\":2}") };
        var detached = await stack.Runner.SignBatchAsync(new Api.SignBatchRequest { Payloads = { payloads }, Detached = true });
        var flattened = await stack.Runner.SignBatchAsync(new Api.SignBatchRequest { Payloads = { payloads }, Serialization = Api.JwsSerialization.FlattenedJson });

        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.Contains("..", detached.Jws[i], StringComparison.Ordinal);
            var d = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = detached.Jws[i], DetachedPayload = payloads[i] });
            Assert.True(d.Valid, d.Detail);
            var other = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = detached.Jws[i], DetachedPayload = payloads[1 - i] });
            Assert.False(other.Valid);

            using var json = JsonDocument.Parse(flattened.Jws[i]);
            Assert.Equal(new[] { "protected", "payload", "signature" }, json.RootElement.EnumerateObject().Select(p => p.Name));
            var f = await stack.Runner.VerifyAsync(new Api.VerifyRequest { Jws = flattened.Jws[i] });
            Assert.True(f.Valid, f.Detail);
            Assert.Equal(payloads[i], f.Payload);
        }
    }

    [Fact]
    public async Task SignBatch_refuses_fields_the_contract_does_not_define()
    {
        var request = new Api.SignBatchRequest { Payloads = { Payload("{}") } }.ToByteArray();
        using var extra = new MemoryStream();
        var output = new CodedOutputStream(extra);
        output.WriteTag(7, WireFormat.WireType.LengthDelimited);
        output.WriteString("typ=strongroom-config");
        output.Flush();
        var smuggled = Api.SignBatchRequest.Parser.ParseFrom([.. request, .. extra.ToArray()]);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await stack.Runner.SignBatchAsync(smuggled));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
