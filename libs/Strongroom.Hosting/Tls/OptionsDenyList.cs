using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Strongroom.Pki;
using Strongroom.Transport.Tls;

namespace Strongroom.Hosting.Tls;

/// <summary>
/// The deny-list: <c>Strongroom:DenyList</c> from configuration (applied when the configuration
/// reloads) plus the identities in the file named by <c>Strongroom:DenyListFile</c>, one short
/// identity per line (<c>#</c> comments). The file is checked every <c>Strongroom:Tls:ReloadInterval</c>
/// (1 s by default) — by a timer, and by the first lookup after the interval passed, so the bound
/// does not depend on a late timer — so an identity written to it is refused on every handshake
/// and call that starts more than one interval later, with no restart. A missing file denies nobody
/// extra; a file that cannot be read or holds a malformed line keeps the previous list (like a
/// half-renewed certificate pair), so a half-written edit never lifts a denial.
/// </summary>
public sealed class OptionsDenyList : IDenyList, IDisposable
{
    /// <summary>The configuration key naming the deny-list file (empty or absent: configuration only).</summary>
    public const string FileKey = StrongroomHostingOptions.SectionName + ":DenyListFile";

    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly ITimer _timer;
    private long _nextCheck;
    private readonly Lock _gate = new();
    private HashSet<string> _fromOptions;
    private HashSet<string> _fromFile = new(StringComparer.Ordinal);
    private (string Path, DateTime Written, long Length) _fileStamp = ("", default, -1);
    private volatile HashSet<string> _denied;

    public OptionsDenyList(IOptionsMonitor<StrongroomHostingOptions> options, IConfiguration configuration, TimeProvider time)
    {
        _configuration = configuration;
        _time = time;
        _fromOptions = Build(options.CurrentValue.DenyList);
        ReadFile();
        _denied = Union();
        options.OnChange(o =>
        {
            lock (_gate)
            {
                _fromOptions = Build(o.DenyList);
                _denied = Union();
            }
        });
        var interval = options.CurrentValue.Tls.ReloadInterval;
        if (interval <= TimeSpan.Zero)
        {
            interval = TimeSpan.FromSeconds(1);
        }

        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
        _nextCheck = time.GetTimestamp() + _intervalTicks;
        _timer = time.CreateTimer(_ => Refresh(), null, interval, interval);
    }

    public bool IsDenied(WorkloadIdentity identity)
    {
        if (_time.GetTimestamp() >= Volatile.Read(ref _nextCheck))
        {
            Refresh(onlyIfDue: true);
        }

        return _denied.Contains(identity.Path);
    }

    /// <summary>Re-reads the deny-list file when its path, modification time or length changed.</summary>
    public void Refresh() => Refresh(onlyIfDue: false);

    private void Refresh(bool onlyIfDue)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (onlyIfDue && now < _nextCheck)
            {
                // Another lookup refreshed it while this one waited for the lock.
                return;
            }

            Volatile.Write(ref _nextCheck, now + _intervalTicks);
            if (ReadFile())
            {
                _denied = Union();
            }
        }
    }

    private bool ReadFile()
    {
        var path = _configuration[FileKey] ?? "";
        if (path.Length == 0)
        {
            var changed = _fromFile.Count > 0;
            _fromFile = new HashSet<string>(StringComparer.Ordinal);
            _fileStamp = ("", default, -1);
            return changed;
        }

        var info = new FileInfo(path);
        var stamp = (path, info.Exists ? info.LastWriteTimeUtc : default, info.Exists ? info.Length : -1);
        if (stamp == _fileStamp)
        {
            return false;
        }

        try
        {
            var lines = info.Exists ? File.ReadAllLines(path) : [];
            _fromFile = Build(lines.Select(l => (l.Split('#', 2)[0]).Trim()).Where(l => l.Length > 0));
            _fileStamp = stamp;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            // Keep the previous list; the next tick tries again (the stamp was not advanced).
            return false;
        }
    }

    private HashSet<string> Union()
    {
        var all = new HashSet<string>(_fromOptions, StringComparer.Ordinal);
        all.UnionWith(_fromFile);
        return all;
    }

    private static HashSet<string> Build(IEnumerable<string> identities) =>
        identities.Select(d => WorkloadIdentity.ParseShort(d).Path).ToHashSet(StringComparer.Ordinal);

    public void Dispose() => _timer.Dispose();
}
