using System.Security.Cryptography.X509Certificates;

namespace Strongroom.Transport.Tls;

/// <summary>The deployment CA certificate(s), reloaded when the bundle file changes (CA rollover).</summary>
public sealed class TrustAnchor
{
    private readonly string _path;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (X509Certificate2Collection Roots, DateTime Stamp) _current;
    private long _nextCheck;

    public TrustAnchor(string caBundlePath, TimeSpan checkInterval, TimeProvider? time = null)
    {
        _path = caBundlePath;
        _checkInterval = checkInterval;
        _time = time ?? TimeProvider.System;
        _current = (LoadBundle(_path), File.GetLastWriteTimeUtc(_path));
        if (_current.Roots.Count == 0)
        {
            throw new InvalidOperationException($"no CA certificate in {caBundlePath}");
        }
    }

    public X509Certificate2Collection Roots
    {
        get
        {
            var now = _time.GetTimestamp();
            if (now < Volatile.Read(ref _nextCheck))
            {
                return _current.Roots;
            }

            lock (_gate)
            {
                _nextCheck = now + (long)(_checkInterval.TotalSeconds * _time.TimestampFrequency);
                var stamp = File.GetLastWriteTimeUtc(_path);
                if (stamp != _current.Stamp)
                {
                    try
                    {
                        var roots = LoadBundle(_path);
                        if (roots.Count > 0)
                        {
                            _current = (roots, stamp);
                        }
                    }
                    catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException)
                    {
                        // Keep trusting the previous bundle; a torn write is retried at the next check.
                    }
                }

                return _current.Roots;
            }
        }
    }

    private static X509Certificate2Collection LoadBundle(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        return collection;
    }
}
