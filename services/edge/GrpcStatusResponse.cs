using System.Globalization;
using Grpc.Core;

namespace Strongroom.Edge;

/// <summary>
/// Answers a call from the edge itself as a gRPC trailers-only response: HTTP 200,
/// <c>content-type: application/grpc</c>, and the status in the headers, with no message.
/// </summary>
public static class GrpcStatusResponse
{
    public static Task WriteAsync(HttpContext context, StatusCode code, string message)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status; resetting the stream is the only honest answer left.
            context.Abort();
            return Task.CompletedTask;
        }

        response.Clear();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return response.CompleteAsync();
    }
}
