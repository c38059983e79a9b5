using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Hosting.Audit;
using Strongroom.Hosting.Authorization;
using Strongroom.Hosting.Errors;
using Strongroom.Pki;

namespace Strongroom.Hosting;

/// <summary>
/// Runs around every RPC of a Strongroom service: authorize by caller identity, run the handler,
/// map any failure through <see cref="ErrorMapper"/>, and write one audit entry with the outcome.
/// </summary>
public sealed partial class StrongroomInterceptor(RpcAuthorizer authorizer, AuditTrail audit, ILogger<StrongroomInterceptor> logger) : Interceptor
{
    internal const string PeerKey = "strongroom.peer";
    internal const string ListenerKey = "strongroom.listener";
    internal const string AdminListener = "admin";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            var response = await continuation(request, context);
            Audit(context, "OK", null);
            return response;
        }
        catch (Exception ex)
        {
            throw Fail(context, ex);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            var response = await continuation(requestStream, context);
            Audit(context, "OK", null);
            return response;
        }
        catch (Exception ex)
        {
            throw Fail(context, ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            await continuation(request, responseStream, context);
            Audit(context, "OK", null);
        }
        catch (Exception ex)
        {
            throw Fail(context, ex);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            await continuation(requestStream, responseStream, context);
            Audit(context, "OK", null);
        }
        catch (Exception ex)
        {
            throw Fail(context, ex);
        }
    }

    private void Authorize(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var items = http.Features.Get<IConnectionItemsFeature>()?.Items;
        var peer = items?.TryGetValue(PeerKey, out var p) == true ? p as WorkloadIdentity : null;
        var onAdmin = items?.TryGetValue(ListenerKey, out var l) == true && Equals(l, AdminListener);
        var forwarded = context.RequestHeaders.GetValue(RpcAuthorizer.ForwardedIdentityHeader);
        var decision = authorizer.Authorize(context.Method, peer, onAdmin, forwarded);
        if (!decision.Allowed)
        {
            audit.Append(new AuditEvent(
                decision.Caller?.Identity.ToString() ?? peer?.ToString() ?? "-",
                context.Method,
                "PERMISSION_DENIED",
                Detail: decision.Reason,
                Peer: peer?.ToString()));
            throw ErrorMapper.Status(StatusCode.PermissionDenied, "permission denied: " + decision.Reason);
        }

        http.Items[CallerExtensions.CallerKey] = decision.Caller;
    }

    private RpcException Fail(ServerCallContext context, Exception ex)
    {
        RpcException mapped;
        switch (ex)
        {
            case StrongroomException domain:
                mapped = ErrorMapper.ToRpcException(domain);
                break;
            case RpcException rpc:
                mapped = rpc;
                break;
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                mapped = ErrorMapper.Status(StatusCode.Cancelled, "call cancelled");
                break;
            default:
                var reference = Guid.NewGuid().ToString("N")[..12];
                // The full exception stays in the service's own log; the caller gets only the reference.
                LogUnexpected(logger, ex, context.Method, reference);
                mapped = ErrorMapper.Internal(reference);
                break;
        }

        Audit(context, mapped.StatusCode.ToString(), mapped.StatusCode == StatusCode.Internal ? null : mapped.Status.Detail);
        return mapped;
    }

    private void Audit(ServerCallContext context, string outcome, string? detail)
    {
        var http = context.GetHttpContext();
        var caller = http.Items[CallerExtensions.CallerKey] as Caller;
        http.Items.TryGetValue(CallerExtensions.AuditKeyKey, out var key);
        http.Items.TryGetValue(CallerExtensions.AuditVersionKey, out var version);
        audit.Append(new AuditEvent(
            caller?.Identity.ToString() ?? "-",
            context.Method,
            outcome,
            key as string,
            version as long?,
            detail,
            caller?.ViaEdge == true ? caller.Peer.ToString() : null));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "unexpected failure in {Method} (ref {Reference})")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string reference);
}
