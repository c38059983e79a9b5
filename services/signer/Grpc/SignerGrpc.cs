using Google.Protobuf;
using Grpc.Core;
using Strongroom.Core;
using Strongroom.Crypto.Sqooler;
using Strongroom.Hosting.Authorization;
using Strongroom.Signer.Domain;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Grpc;

/// <summary>Signing, verification, the JWKS and checkpoints. Thin: the domain does the work.</summary>
public sealed class SignerGrpc(ResultSigner signer, SigningKeySet keys, CheckpointSigner checkpoints, SignerOptions options) : Api.Signer.SignerBase
{
    public override async Task<Api.SignResponse> Sign(Api.SignRequest request, ServerCallContext context) =>
        await SignOneAsync(request, context);

    public override async Task SignStream(IAsyncStreamReader<Api.SignStreamRequest> requestStream, IServerStreamWriter<Api.SignStreamResponse> responseStream, ServerCallContext context)
    {
        // Responses in request order; the first failure ends the stream with its status. Responses
        // are buffered while more requests are already waiting and flushed when the caller has sent
        // no more (a caller waiting for each answer still gets it): one flush per burst, not per signature.
        var body = context.GetHttpContext().Response.BodyWriter;
        responseStream.WriteOptions = new WriteOptions(WriteFlags.BufferHint);
        var unflushed = false;
        while (true)
        {
            var next = requestStream.MoveNext(context.CancellationToken);
            if (unflushed && !next.IsCompleted)
            {
                await body.FlushAsync(context.CancellationToken);
                unflushed = false;
            }

            if (!await next)
            {
                break;
            }

            var item = requestStream.Current;
            RefuseUnknownFields(item, new Api.SignStreamRequest { Sequence = item.Sequence, Request = item.Request?.Clone() }, "request");
            var response = await SignOneAsync(item.Request ?? throw StrongroomException.InvalidArgument("request", "required"), context);
            await responseStream.WriteAsync(new Api.SignStreamResponse { Sequence = item.Sequence, Response = response }, context.CancellationToken);
            unflushed = true;
        }
    }

    public override async Task<Api.SignBatchResponse> SignBatch(Api.SignBatchRequest request, ServerCallContext context)
    {
        RefuseUnknownFields(request, new Api.SignBatchRequest { KeyName = request.KeyName, Payloads = { request.Payloads }, Detached = request.Detached, Serialization = request.Serialization }, "request");
        var flattened = Flattened(request.Serialization);
        var caller = SigningCaller(context);
        var payloads = new ReadOnlyMemory<byte>[request.Payloads.Count];
        for (var i = 0; i < payloads.Length; i++)
        {
            payloads[i] = request.Payloads[i].Memory;
        }

        var outcome = await signer.SignBatchAsync(caller.Identity, request.KeyName, payloads, request.Detached, flattened, context.CancellationToken);
        context.AuditKey(outcome.KeyName, outcome.Version);
        var response = new Api.SignBatchResponse
        {
            Kid = outcome.Kid,
            KeyName = outcome.KeyName,
            Version = (uint)outcome.Version,
            ProtectedHeaderJson = outcome.ProtectedHeaderJson,
            IssuedAt = outcome.IssuedAt,
        };
        response.Jws.Add(outcome.Jws);
        return response;
    }

    private async Task<Api.SignResponse> SignOneAsync(Api.SignRequest request, ServerCallContext context)
    {
        // A request carrying fields this contract does not define (a "typ", "iat" or header member
        // smuggled under a new field number) is refused rather than silently ignored.
        RefuseUnknownFields(request, new Api.SignRequest { KeyName = request.KeyName, Payload = request.Payload, Detached = request.Detached, Serialization = request.Serialization }, "request");
        var flattened = Flattened(request.Serialization);
        var caller = SigningCaller(context);
        var outcome = await signer.SignAsync(caller.Identity, request.KeyName, request.Payload.Memory, request.Detached, flattened, context.CancellationToken);
        context.AuditKey(outcome.KeyName, outcome.Version);
        return new Api.SignResponse
        {
            Jws = outcome.Jws,
            Kid = outcome.Kid,
            KeyName = outcome.KeyName,
            Version = (uint)outcome.Version,
            ProtectedHeaderJson = outcome.ProtectedHeaderJson,
            IssuedAt = outcome.IssuedAt,
        };
    }

    public override async Task<Api.VerifyResponse> Verify(Api.VerifyRequest request, ServerCallContext context)
    {
        VerifyOutcome outcome;
        switch (request.SignedCase)
        {
            case Api.VerifyRequest.SignedOneofCase.Jws:
                if (request.Jws.Length > (2 * options.MaxPayloadBytes) + 4096)
                {
                    throw StrongroomException.InvalidArgument("jws", "larger than any JWS this signer makes");
                }

                var byKid = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
                foreach (var v in await keys.ListAsync(SigningPurpose.Jws, context.CancellationToken))
                {
                    byKid[v.Kid] = new VerificationKey(v.Key.Name, v.Version.Version, v.Version.PublicKey, v.Version.Revoked, v.Version.State, v.Version.DestroyedAt, v.Key.MinimumVersion);
                }

                outcome = SignatureVerifier.Verify(request.Jws, request.DetachedPayload.IsEmpty ? null : request.DetachedPayload.ToByteArray(), request.ExpectedTyp, byKid);
                break;
            case Api.VerifyRequest.SignedOneofCase.SqoolerSignedResultJson:
                // sqooler results are signed by client keys registered in storage, never by this signer's keys.
                outcome = new VerifyOutcome(VerifyFailureReason.UnknownKey, "sqooler results are signed by client keys; storage verifies them", "", "", "", 0, null);
                break;
            default:
                throw StrongroomException.InvalidArgument("signed", "a jws is required");
        }

        if (outcome.Kid.Length > 0 && outcome.Kid.Length <= 128)
        {
            context.AuditKey(outcome.Kid);
        }

        return new Api.VerifyResponse
        {
            Valid = outcome.Valid,
            Failure = Mapping.ToApi(outcome.Failure),
            Detail = outcome.Detail,
            Kid = outcome.Kid,
            Typ = outcome.Typ,
            Runner = outcome.Runner,
            IssuedAt = outcome.IssuedAt,
            Payload = outcome.Payload is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(outcome.Payload),
        };
    }

    public override async Task<Api.GetJwksResponse> GetJwks(Api.GetJwksRequest request, ServerCallContext context)
    {
        // Every JWS version that is not revoked, destroyed ones included: their earlier signatures stay valid.
        var published = (await keys.ListAsync(SigningPurpose.Jws, context.CancellationToken)).Where(v => !v.Version.Revoked).ToList();
        var response = new Api.GetJwksResponse { JwksJson = SigningKeySet.JwksJson(published) };
        response.Keys.Add(published.Select(Mapping.ToPublicKey));
        return response;
    }

    public override async Task<Api.SignCheckpointResponse> SignCheckpoint(Api.SignCheckpointRequest request, ServerCallContext context)
    {
        var signed = await checkpoints.SignAsync(
            request.TreeSize,
            request.RootHash.ToByteArray(),
            request.FromTreeSize,
            request.ConsistencyProof.Select(p => p.ToByteArray()).ToList(),
            request.Origin,
            context.CancellationToken);
        context.AuditKey(options.LogKeyName);
        return new Api.SignCheckpointResponse { Checkpoint = Mapping.ToApi(signed), SignatureLine = CheckpointSigner.SignatureLines(signed.Note) };
    }

    public override async Task<Api.GetLatestCheckpointResponse> GetLatestCheckpoint(Api.GetLatestCheckpointRequest request, ServerCallContext context) =>
        new() { Checkpoint = Mapping.ToApi(await checkpoints.LatestAsync(context.CancellationToken)) };

    private static bool Flattened(Api.JwsSerialization serialization) => serialization switch
    {
        Api.JwsSerialization.Unspecified or Api.JwsSerialization.Compact => false,
        Api.JwsSerialization.FlattenedJson => true,
        _ => throw StrongroomException.InvalidArgument("serialization", "must be COMPACT or FLATTENED_JSON"),
    };

    private static Caller SigningCaller(ServerCallContext context)
    {
        var caller = context.GetCaller();
        if (caller.ViaEdge)
        {
            // Signing is not client-facing; should a policy row ever say otherwise, a relayed identity still signs nothing.
            throw StrongroomException.PermissionDenied("signing requires the caller's own certificate");
        }

        return caller;
    }

    private static void RefuseUnknownFields(IMessage received, IMessage knownOnly, string field)
    {
        if (received.CalculateSize() != knownOnly.CalculateSize())
        {
            throw StrongroomException.InvalidArgument(field, "carries fields signer.v1 does not define; header members cannot be chosen by callers");
        }
    }
}
