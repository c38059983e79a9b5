using Google.Protobuf;
using Grpc.Core;
using Strongroom.Core;
using Strongroom.Hosting.Authorization;
using Strongroom.KeyLog;
using Strongroom.Storage.Domain;
using Api = Strongroom.Storage.V1;

namespace Strongroom.Storage.Grpc;

/// <summary>The public Storage service: a thin adapter over the key log's domain classes and <see cref="ResultService"/>.</summary>
public sealed class StorageGrpc(KeyPublisher publisher, ClientRegistry clients, LogReader reader, Checkpointer checkpointer, KeyLookup lookup, ResultService results) : Api.Storage.StorageBase
{
    public override async Task<Api.PutResultResponse> PutResult(Api.PutResultRequest request, ServerCallContext context)
    {
        var (created, storeTime) = await results.PutResultAsync(
            context.GetCaller().Identity, request.JobId, request.OwnerIdentity, request.SignedResult,
            request.Output.ToByteArray(), request.OutputEnc.ToByteArray(), request.SealedToKid, context.CancellationToken);
        context.AuditKey("result/" + request.JobId);
        return new Api.PutResultResponse { Created = created, StoreTime = storeTime };
    }

    public override async Task<Api.GetResultResponse> GetResult(Api.GetResultRequest request, ServerCallContext context)
    {
        var r = await results.GetResultAsync(context.GetCaller().Identity, request.JobId, context.CancellationToken);
        return new Api.GetResultResponse
        {
            Result = new Api.Result
            {
                JobId = r.JobId,
                OwnerIdentity = r.Owner,
                RunnerIdentity = r.Runner,
                SignedResult = r.SignedResult,
                Output = ByteString.CopyFrom(r.Output),
                OutputEnc = ByteString.CopyFrom(r.OutputEnc),
                SealedToKid = r.SealedToKid,
                StoreTime = r.StoreTime,
            },
        };
    }

    public override async Task<Api.ListResultsResponse> ListResults(Api.ListResultsRequest request, ServerCallContext context)
    {
        var (page, next) = await results.ListResultsAsync(context.GetCaller().Identity, request.OwnerIdentity, request.PageSize, request.PageToken, context.CancellationToken);
        var response = new Api.ListResultsResponse { NextPageToken = next };
        response.Results.AddRange(page.Select(r => new Api.ResultSummary
        {
            JobId = r.JobId,
            OwnerIdentity = r.Owner,
            SealedToKid = r.SealedToKid,
            OutputSize = (ulong)r.Output.Length,
            StoreTime = r.StoreTime,
        }));
        return response;
    }

    public override async Task<Api.PublishKeyResponse> PublishKey(Api.PublishKeyRequest request, ServerCallContext context)
    {
        var kind = Mapping.ToKind(request.Kind) ?? throw StrongroomException.InvalidArgument("kind", "unspecified");
        var (entry, created) = await publisher.PublishKeyAsync(context.GetCaller().Identity, request.Kid, request.JwkJson, request.OwnerIdentity,
            kind, request.KeyName, request.Version, request.CreateTime, context.CancellationToken);
        context.AuditKey(request.Kid);
        return new Api.PublishKeyResponse { Entry = Mapping.ToLogEntry(entry), Created = created };
    }

    public override async Task<Api.PublishKeyEventResponse> PublishKeyEvent(Api.PublishKeyEventRequest request, ServerCallContext context)
    {
        var (state, mark) = request.Event switch
        {
            Api.KeyEvent.Enabled => ((KeyState?)KeyState.Enabled, (KeyMark?)null),
            Api.KeyEvent.Disabled => (KeyState.Disabled, (KeyMark?)null),
            Api.KeyEvent.DestroyScheduled => (KeyState.DestroyScheduled, (KeyMark?)null),
            // A cancelled destruction leaves the version disabled (DESIGN §4): logged as that state.
            Api.KeyEvent.Restored => (KeyState.Disabled, (KeyMark?)null),
            Api.KeyEvent.Destroyed => (KeyState.Destroyed, (KeyMark?)null),
            Api.KeyEvent.Revoked => (KeyState.Revoked, (KeyMark?)null),
            Api.KeyEvent.Primary => ((KeyState?)null, (KeyMark?)KeyMark.Primary),
            Api.KeyEvent.MinimumVersion => ((KeyState?)null, (KeyMark?)KeyMark.MinimumVersion),
            _ => throw StrongroomException.InvalidArgument("event", "unspecified"),
        };
        var (entry, created) = await publisher.PublishKeyEventAsync(context.GetCaller().Identity, request.Kid, state, mark, request.EventTime, context.CancellationToken);
        context.AuditKey(request.Kid);
        return new Api.PublishKeyEventResponse { Entry = Mapping.ToLogEntry(entry), Created = created };
    }

    public override async Task<Api.RegisterClientResponse> RegisterClient(Api.RegisterClientRequest request, ServerCallContext context)
    {
        var (identity, signingKid, sealingKid, entries) = await clients.RegisterClientAsync(request.RegistrationJws, context.CancellationToken);
        context.AuditKey(identity);
        var response = new Api.RegisterClientResponse { ClientIdentity = identity, SigningKid = signingKid, SealingKid = sealingKid };
        response.Entries.AddRange(entries.Select(Mapping.ToLogEntry));
        return response;
    }

    public override async Task<Api.GetKeyLogEntriesResponse> GetKeyLogEntries(Api.GetKeyLogEntriesRequest request, ServerCallContext context)
    {
        var entries = await reader.GetEntriesAsync(Mapping.Index(request.StartIndex, "start_index"), Mapping.Index(request.EndIndex, "end_index"), context.CancellationToken);
        var response = new Api.GetKeyLogEntriesResponse();
        response.Entries.AddRange(entries.Select(Mapping.ToLogEntry));
        return response;
    }

    public override async Task<Api.GetCheckpointResponse> GetCheckpoint(Api.GetCheckpointRequest request, ServerCallContext context) =>
        new() { Checkpoint = Mapping.ToCheckpoint(await checkpointer.LatestCheckpointAsync(context.CancellationToken)) };

    public override async Task<Api.GetInclusionProofResponse> GetInclusionProof(Api.GetInclusionProofRequest request, ServerCallContext context)
    {
        var (index, size, hashes) = await reader.InclusionProofAsync(Mapping.Index(request.LeafIndex, "leaf_index"), Mapping.Index(request.TreeSize, "tree_size"), context.CancellationToken);
        var response = new Api.GetInclusionProofResponse { LeafIndex = (ulong)index, TreeSize = (ulong)size };
        response.Hashes.AddRange(hashes.Select(ByteString.CopyFrom));
        return response;
    }

    public override async Task<Api.GetConsistencyProofResponse> GetConsistencyProof(Api.GetConsistencyProofRequest request, ServerCallContext context)
    {
        var (first, second, hashes) = await reader.ConsistencyProofAsync(Mapping.Index(request.FirstTreeSize, "first_tree_size"), Mapping.Index(request.SecondTreeSize, "second_tree_size"), context.CancellationToken);
        var response = new Api.GetConsistencyProofResponse { FirstTreeSize = (ulong)first, SecondTreeSize = (ulong)second };
        response.Hashes.AddRange(hashes.Select(ByteString.CopyFrom));
        return response;
    }

    public override async Task<Api.GetJwksResponse> GetJwks(Api.GetJwksRequest request, ServerCallContext context)
    {
        var kinds = request.Kinds.Count == 0
            ? [KeyKind.ResultSigning]
            : request.Kinds.Select(k => Mapping.ToKind(k) ?? throw StrongroomException.InvalidArgument("kinds", "unspecified")).ToList();
        return new Api.GetJwksResponse { JwksJson = await lookup.JwksAsync(kinds, context.CancellationToken) };
    }

    public override async Task<Api.LookupKeyResponse> LookupKey(Api.LookupKeyRequest request, ServerCallContext context)
    {
        var (key, entries) = await lookup.LookupAsync(
            request.SelectorCase == Api.LookupKeyRequest.SelectorOneofCase.Kid ? request.Kid : null,
            request.SelectorCase == Api.LookupKeyRequest.SelectorOneofCase.Alias ? request.Alias : null,
            request.SelectorCase == Api.LookupKeyRequest.SelectorOneofCase.OpensshFingerprint ? request.OpensshFingerprint : null,
            context.CancellationToken);
        var response = new Api.LookupKeyResponse
        {
            Kid = key.Kid,
            JwkJson = key.JwkJson,
            OwnerIdentity = key.Owner,
            Kind = Mapping.ToApiKind(KeyLogRules.KindOf(key.Kind)),
        };
        response.Entries.AddRange(entries.Select(Mapping.ToLogEntry));
        return response;
    }
}
