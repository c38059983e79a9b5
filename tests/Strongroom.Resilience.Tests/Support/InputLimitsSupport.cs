using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Strongroom.Hosting;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Transport.Tls;

namespace Strongroom.Resilience.Tests.Support;

/// <summary>VmRSS / VmHWM of one service process, in bytes.</summary>
public readonly record struct ProcessMemory(long Rss, long Hwm)
{
    public static ProcessMemory Of(int pid)
    {
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kib(line);
            }
        }

        return new ProcessMemory(rss, hwm);
    }

    private static long Kib(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}

/// <summary>
/// Samples the RSS of the attacked services every 20 ms while an attack runs: the peak of the samples
/// and the kernel's own high-water mark (VmHWM, which catches a spike between samples when it beats
/// every earlier peak) bound what the attack made the process hold.
/// </summary>
public sealed class MemoryWatch : IAsyncDisposable
{
    private readonly Dictionary<string, int> _pids;
    private readonly Dictionary<string, ProcessMemory> _before = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _peak = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;

    public MemoryWatch(ResilienceStack stack, params string[] services)
    {
        _pids = services.ToDictionary(s => s, s => stack.Stack.ProcessOf(stack.Spec(s)).Id, StringComparer.Ordinal);
        foreach (var (service, pid) in _pids)
        {
            _before[service] = ProcessMemory.Of(pid);
            _peak[service] = _before[service].Rss;
        }

        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(20, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    private void Sample()
    {
        foreach (var (service, pid) in _pids)
        {
            var rss = ProcessMemory.Of(pid).Rss;
            _peak.AddOrUpdate(service, rss, (_, old) => Math.Max(old, rss));
        }
    }

    /// <summary>Stops sampling and returns, per service, the growth of RSS during the attack (peak over before).</summary>
    public async Task<IReadOnlyList<MemoryFigure>> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        Sample();
        return _pids.Select(p =>
        {
            var after = ProcessMemory.Of(p.Value);
            var before = _before[p.Key];
            // A new VmHWM above the old one is a peak the sampler may have missed.
            var peak = Math.Max(_peak[p.Key], after.Hwm > before.Hwm ? after.Hwm : 0);
            return new MemoryFigure(p.Key, before.Rss, peak, after.Rss);
        }).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        try
        {
            await _sampler;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }
}

public sealed record MemoryFigure(string Service, long Before, long Peak, long After)
{
    public long PeakGrowth => Math.Max(0, Peak - Before);

    public override string ToString() =>
        $"{Service} RSS {Mib(Before)} → peak {Mib(Peak)} (+{Mib(PeakGrowth)}) → {Mib(After)}";

    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " MiB";
}

/// <summary>The figures of the suite, written to the test output and to a file the docs quote.</summary>
public static class InputLimitFigures
{
    public const string FilePath = "/tmp/strongroom-resilience-input-limits.txt";
    private static readonly object Gate = new();

    public static void Record(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        lock (Gate)
        {
            File.AppendAllText(FilePath, DateTime.UtcNow.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " " + line + "\n");
        }
    }
}

/// <summary>The limits the stack runs with, read as the services read them (appsettings, then the fixture's overrides), so the tests derive their bounds from configuration.</summary>
public static class ConfiguredLimits
{
    public static StrongroomHostingOptions Hosting(ResilienceStack stack, string service)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepoPaths.Root, "services", service, "appsettings.json"), optional: false)
            .AddCommandLine(stack.Layout.ExtraSettings(service).ToArray())
            .Build();
        return configuration.GetSection(StrongroomHostingOptions.SectionName).Get<StrongroomHostingOptions>() ?? new StrongroomHostingOptions();
    }

    public static int RunnerMaxRequestBytes(ResilienceStack stack)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepoPaths.Root, "services", "runner", "appsettings.json"), optional: false)
            .AddCommandLine(stack.Layout.ExtraSettings("runner").ToArray())
            .Build();
        return configuration.GetValue<int?>("Runner:MaxRequestBytes") ?? 1024 * 1024;
    }
}

/// <summary>Calls any method with request bytes the test wrote itself (nested groups, unknown fields), bypassing the generated types.</summary>
public static class RawGrpc
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    public static async Task<byte[]> UnaryAsync(CallInvoker invoker, string fullMethod, byte[] request, CancellationToken ct, Metadata? headers = null)
    {
        var slash = fullMethod.LastIndexOf('/');
        var method = new Method<byte[], byte[]>(MethodType.Unary, fullMethod[1..slash], fullMethod[(slash + 1)..], Bytes, Bytes);
        using var call = invoker.AsyncUnaryCall(method, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(60), ct), request);
        return await call.ResponseAsync;
    }

    /// <summary>Protobuf: <paramref name="depth"/> unknown groups (field 99) nested inside each other — the wire format's own recursion.</summary>
    public static byte[] NestedGroups(int depth)
    {
        var result = new byte[depth * 4];
        for (var i = 0; i < depth; i++)
        {
            result[2 * i] = 0x9B; // (99 << 3) | 3: start group
            result[(2 * i) + 1] = 0x06;
            result[(2 * depth) + (2 * i)] = 0x9C; // (99 << 3) | 4: end group
            result[(2 * depth) + (2 * i) + 1] = 0x06;
        }

        return result;
    }
}

/// <summary>JSON nested <paramref name="depth"/> arrays deep around <paramref name="inner"/>.</summary>
public static class DeepJson
{
    public static string Arrays(int depth, string inner = "0") => new string('[', depth) + inner + new string(']', depth);
}

/// <summary>What a refused call must look like: an expected code, a short message, no stack trace and no secret.</summary>
public static class CleanStatus
{
    public const int MaxDetailLength = 300;

    public const string UnparsableRequest = "Exception was thrown by handler.";

    public static string[] Secrets(ResilienceStack stack) =>
        [File.ReadAllText(stack.Layout.KmsPassphraseFile).Trim(), stack.State];

    public static void Assert(RpcException ex, string[] secrets, params StatusCode[] expected)
    {
        Xunit.Assert.True(expected.Contains(ex.StatusCode), $"expected {string.Join("/", expected)}, got {ex.StatusCode}: {ex.Status.Detail}");
        var detail = ex.Status.Detail ?? "";
        if (ex.StatusCode == StatusCode.Unknown)
        {
            // Grpc.AspNetCore's fixed text for a request it could not deserialize (before any interceptor runs); nothing else may be UNKNOWN.
            Xunit.Assert.Equal(UnparsableRequest, detail);
            return;
        }

        Xunit.Assert.True(detail.Length <= MaxDetailLength, $"status message of {detail.Length} chars: {detail[..Math.Min(200, detail.Length)]}…");
        Xunit.Assert.DoesNotContain("   at ", detail, StringComparison.Ordinal);
        Xunit.Assert.DoesNotContain("Exception", detail, StringComparison.Ordinal);
        foreach (var secret in secrets.Where(s => s.Length >= 8))
        {
            Xunit.Assert.DoesNotContain(secret, detail, StringComparison.Ordinal);
        }

        foreach (var entry in ex.Trailers)
        {
            if (!entry.IsBinary)
            {
                Xunit.Assert.DoesNotContain("   at ", entry.Value, StringComparison.Ordinal);
            }
        }
    }
}

/// <summary>Slow and idle clients at the socket level: raw TCP, raw TLS, and an HTTP/2 client that dribbles a request body.</summary>
public static class SlowClients
{
    public static IPEndPoint EndPoint(string address)
    {
        var uri = new Uri(address);
        return new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);
    }

    /// <summary>How long until the server closes the connection (read returns 0 or the socket resets); null when still open at <paramref name="giveUp"/>.</summary>
    public static async Task<TimeSpan?> TimeUntilClosedAsync(Socket socket, Stopwatch since, TimeSpan giveUp, Func<Task>? dribble = null)
    {
        using var cts = new CancellationTokenSource(giveUp - since.Elapsed);
        var buffer = new byte[256];
        var dribbling = dribble is null ? Task.CompletedTask : Task.Run(async () =>
        {
            try
            {
                while (!cts.IsCancellationRequested)
                {
                    await dribble();
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The server closed it: what the read below observes.
            }
        });
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return since.Elapsed;
                }
            }
        }
        catch (SocketException)
        {
            return since.Elapsed;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        finally
        {
            await cts.CancelAsync();
            await dribbling;
        }
    }

    /// <summary>An HTTP/2-only HttpClient presenting <paramref name="identity"/>'s certificate, as the SDK's channels do, to <paramref name="service"/>.</summary>
    public static HttpClient Http2Client(ResilienceStack stack, string identity, string service)
    {
        var pki = new PkiDirectory(stack.Layout.Pki);
        var id = WorkloadIdentity.ParseShort(identity);
        var certificate = new ReloadingCertificate(pki.CertificatePath(id), pki.KeyPath(id), TimeSpan.FromSeconds(1));
        var validator = new PeerCertificateValidator(new TrustAnchor(pki.TrustBundlePath, TimeSpan.FromSeconds(1)), EmptyDenyList.Instance);
        var expected = WorkloadIdentity.ParseShort(service);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate.Current,
                RemoteCertificateValidationCallback = (_, server, _, _) => validator.Validate(server, PeerRole.Server, expected).Ok,
            },
        };
        return new HttpClient(handler)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(90),
        };
    }

    /// <summary>
    /// A gRPC request whose 5-byte prefix announces <paramref name="announced"/> bytes, then sends
    /// <paramref name="bytesPerTick"/> bytes every <paramref name="tick"/>: a slowloris on the body.
    /// Returns when the server ended the call (how it ended, and after how long).
    /// </summary>
    public static async Task<(TimeSpan Elapsed, string Outcome, long Sent)> DribbleBodyAsync(HttpClient client, string address, string fullMethod, int announced, int bytesPerTick, TimeSpan tick, TimeSpan giveUp)
    {
        var content = new DribbleContent(announced, bytesPerTick, tick);
        using var request = new HttpRequestMessage(HttpMethod.Post, address + fullMethod)
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        var watch = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(giveUp);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            _ = await response.Content.ReadAsByteArrayAsync(cts.Token);
            var status = response.TrailingHeaders.TryGetValues("grpc-status", out var s) ? s.First()
                : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : "-";
            var message = response.TrailingHeaders.TryGetValues("grpc-message", out var m) ? m.First()
                : response.Headers.TryGetValues("grpc-message", out var hm) ? hm.First() : "";
            return (watch.Elapsed, $"HTTP {(int)response.StatusCode} grpc-status {status} {Uri.UnescapeDataString(message)}".Trim(), content.Sent);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return (watch.Elapsed, "still open (client gave up)", content.Sent);
        }
        catch (HttpRequestException e)
        {
            return (watch.Elapsed, "reset: " + Short(e), content.Sent);
        }
        catch (IOException e)
        {
            return (watch.Elapsed, "reset: " + Short(e), content.Sent);
        }
    }

    private static string Short(Exception e)
    {
        var parts = new List<string>();
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            parts.Add(inner.GetType().Name + ": " + inner.Message);
        }

        var text = string.Join(" ← ", parts);
        return text.Length > 400 ? text[..400] : text;
    }

    private sealed class DribbleContent(int announced, int bytesPerTick, TimeSpan tick) : HttpContent
    {
        private long _sent;

        public long Sent => Interlocked.Read(ref _sent);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var prefix = new byte[5];
            prefix[1] = (byte)(announced >> 24);
            prefix[2] = (byte)(announced >> 16);
            prefix[3] = (byte)(announced >> 8);
            prefix[4] = (byte)announced;
            await stream.WriteAsync(prefix);
            await stream.FlushAsync();
            var chunk = new byte[bytesPerTick];
            for (var sent = 0; sent < announced; sent += bytesPerTick)
            {
                await Task.Delay(tick);
                await stream.WriteAsync(chunk);
                await stream.FlushAsync();
                Interlocked.Add(ref _sent, bytesPerTick);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>The first bytes of a TLS record that announces a 512-byte handshake message which never fully arrives.</summary>
    public static byte[] PartialClientHello() => Encoding.Latin1.GetBytes("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
}
