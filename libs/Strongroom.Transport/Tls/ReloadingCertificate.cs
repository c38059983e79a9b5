using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Strongroom.Pki;

namespace Strongroom.Transport.Tls;

/// <summary>
/// A certificate and key loaded from PEM files and reloaded when either file changes, so renewed
/// certificates take effect on new connections without a restart. A half-renewed pair (new key,
/// old certificate) fails to load and the previous pair stays in use until the next check.
/// </summary>
public sealed class ReloadingCertificate : IDisposable
{
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Loaded _current;
    private long _nextCheck;

    public ReloadingCertificate(string certificatePath, string keyPath, TimeSpan checkInterval, TimeProvider? time = null)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _checkInterval = checkInterval;
        _time = time ?? TimeProvider.System;
        _current = Load(Stamp()) ?? throw new InvalidOperationException(
            $"cannot load the certificate pair {certificatePath} / {keyPath}");
    }

    public X509Certificate2 Current => Refresh().Certificate;

    public SslStreamCertificateContext Context => Refresh().Context;

    private Loaded Refresh()
    {
        var now = _time.GetTimestamp();
        if (now < Volatile.Read(ref _nextCheck))
        {
            return _current;
        }

        lock (_gate)
        {
            if (now < _nextCheck)
            {
                return _current;
            }

            _nextCheck = now + (long)(_checkInterval.TotalSeconds * _time.TimestampFrequency);
            var stamp = Stamp();
            if (stamp != _current.Stamp && Load(stamp) is { } fresh)
            {
                // The old instance may still back live connections; let the GC reclaim it.
                _current = fresh;
            }

            return _current;
        }
    }

    private (DateTime, long, DateTime, long) Stamp()
    {
        var c = new FileInfo(_certificatePath);
        var k = new FileInfo(_keyPath);
        return (c.Exists ? c.LastWriteTimeUtc : default, c.Exists ? c.Length : -1,
                k.Exists ? k.LastWriteTimeUtc : default, k.Exists ? k.Length : -1);
    }

    private Loaded? Load((DateTime, long, DateTime, long) stamp)
    {
        try
        {
            var certificate = PkiDirectory.LoadPair(_certificatePath, _keyPath);
            var context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
            return new Loaded(certificate, context, stamp);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    public void Dispose() => _current.Certificate.Dispose();

    private sealed record Loaded(X509Certificate2 Certificate, SslStreamCertificateContext Context, (DateTime, long, DateTime, long) Stamp);
}
