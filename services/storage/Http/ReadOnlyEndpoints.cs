using Strongroom.Core;
using Strongroom.Storage.Domain;
using Strongroom.Storage.Extensions;

namespace Strongroom.Storage.Http;

/// <summary>
/// The read-only HTTPS listener: <c>GET /.well-known/jwks.json</c> (every non-revoked result-signing key)
/// and <c>GET /checkpoint</c> (the latest signed note). Nothing else is reachable there — no gRPC
/// method, no other verb — and these two paths exist only there.
/// </summary>
public static class ReadOnlyEndpoints
{
    public const string JwksPath = "/.well-known/jwks.json";
    public const string CheckpointPath = "/checkpoint";
    internal const string ListenerKey = "strongroom.storage.listener";
    internal const string ListenerName = "read-only";

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            var readOnly = StorageExtensions.IsReadOnlyListener(context);
            var known = context.Request.Path.Equals(JwksPath, StringComparison.Ordinal) || context.Request.Path.Equals(CheckpointPath, StringComparison.Ordinal);
            if (!readOnly)
            {
                if (known)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                await next(context);
                return;
            }

            if (!known)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = "GET, HEAD";
                return;
            }

            await next(context);
        });

        app.MapGet(JwksPath, async (KeyLookup lookup, HttpContext context) =>
        {
            // Only result-signing keys: a stock JOSE verifier accepts any key in the set, so a
            // client's own Ed25519 key or the log key here would let their signatures pass as results.
            var jwks = await lookup.JwksAsync([KeyLog.KeyKind.ResultSigning], context.RequestAborted);
            context.Response.Headers.CacheControl = "public, max-age=60";
            return Results.Text(jwks, "application/jwk-set+json");
        });

        app.MapGet(CheckpointPath, async (Checkpointer checkpointer, HttpContext context) =>
        {
            try
            {
                var checkpoint = await checkpointer.LatestCheckpointAsync(context.RequestAborted);
                context.Response.Headers.CacheControl = "no-cache";
                return Results.Text(checkpoint.Note, "text/plain; charset=utf-8");
            }
            catch (StrongroomException)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }
        });
    }
}
