using System.Diagnostics;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Strongroom.Hosting;

/// <summary>
/// Kestrel's minimum request-body rate, imposed again on gRPC requests that no gRPC endpoint of
/// this process handles — a proxy's forwarded calls. YARP lifts Kestrel's rate (and body size)
/// for every gRPC request, since some could be client-streaming; the edge routes none, so a body
/// that dribbles in would otherwise be held open, and the backend's own check does not see it,
/// because it measures the edge's shared connection, which other clients keep busy. Only the
/// edge's proxy pipeline uses it; gRPC endpoints are left to Kestrel and Grpc.AspNetCore (which
/// lifts the rate only for client-streaming methods).
/// </summary>
public static class ProxiedBodyRate
{
    /// <summary>Rate-checks the body of every gRPC request that passes this point, with <c>Strongroom:Limits</c>' minimum rate and grace period.</summary>
    public static IApplicationBuilder UseProxiedBodyRate(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var limits = app.ApplicationServices.GetRequiredService<IOptions<StrongroomHostingOptions>>().Value.Limits;
        return app.Use((context, next) =>
        {
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
            {
                var body = new RateCheckedBody(context, limits.MinRequestBodyBytesPerSecond, limits.MinDataRateGracePeriod);
                context.Request.Body = body;
                context.Response.RegisterForDispose(body);
            }

            return next(context);
        });
    }

    /// <summary>Counts the body's bytes and the time spent waiting for them; once a second, past the grace period, aborts the request when fewer than rate × waited have arrived before the body completed.</summary>
    private sealed class RateCheckedBody : Stream
    {
        private readonly HttpContext _context;
        private readonly Stream _inner;
        private readonly double _bytesPerSecond;
        private readonly TimeSpan _grace;
        private Timer? _timer;
        private long _waiting;
        private long _pendingSince;
        private long _read;
        private int _state; // 0 unchecked, 1 watching, 2 done

        public RateCheckedBody(HttpContext context, double bytesPerSecond, TimeSpan grace)
        {
            _context = context;
            _inner = context.Request.Body;
            _bytesPerSecond = bytesPerSecond;
            _grace = grace;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            StartWatching();
            // As Kestrel does, only time spent waiting for the client counts: a proxy held back by its backend is not a slow client.
            var since = Stopwatch.GetTimestamp();
            Volatile.Write(ref _pendingSince, since);
            int n;
            try
            {
                n = await _inner.ReadAsync(buffer, cancellationToken);
            }
            finally
            {
                Volatile.Write(ref _pendingSince, 0);
                Interlocked.Add(ref _waiting, Stopwatch.GetTimestamp() - since);
            }

            Interlocked.Add(ref _read, n);
            // A zero-byte read (YARP waits for data that way) returns 0 without meaning the end.
            if (n == 0 && !buffer.IsEmpty)
            {
                Stop();
            }

            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous reads are disabled");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        // Decided at the first read, when routing has chosen the endpoint: gRPC endpoints have Kestrel's own check.
        private void StartWatching()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                return;
            }

            if (_context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null)
            {
                _state = 2;
                return;
            }

            _timer = new Timer(_ => Check(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }

        private void Check()
        {
            if (Volatile.Read(ref _state) != 1)
            {
                _timer?.Dispose();
                return;
            }

            var pending = Volatile.Read(ref _pendingSince);
            var ticks = Interlocked.Read(ref _waiting) + (pending == 0 ? 0 : Stopwatch.GetTimestamp() - pending);
            var waited = TimeSpan.FromSeconds(ticks / (double)Stopwatch.Frequency);
            if (waited > _grace && Interlocked.Read(ref _read) < _bytesPerSecond * waited.TotalSeconds)
            {
                Stop();
                _context.Abort();
            }
        }

        private void Stop()
        {
            Volatile.Write(ref _state, 2);
            _timer?.Dispose();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Stop();
            }

            base.Dispose(disposing);
        }
    }
}
