using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Sandbox;

/// <summary>
/// Runs operator-defined jobs under bubblewrap: own user (uid 65534 inside), PID, network (only
/// <c>lo</c>), IPC, UTS and cgroup namespaces; a filesystem of read-only /usr (and the /bin, /lib*
/// links), a generated /etc, /proc and /dev of its own, a tmpfs /tmp and a fresh read-write
/// <see cref="JobDefinition.WorkDirectory"/>; all capabilities dropped; a scrubbed environment.
/// Without a working bubblewrap it throws <see cref="SandboxUnavailableException"/>; it never
/// falls back to running a job unsandboxed.
/// </summary>
public sealed class BubblewrapSandbox : IJobSandbox
{
    private const int SandboxUid = 65534;
    private const string InstallHint = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)";

    // How long the pipes may stay open after the tree was killed; with a PID namespace they close at once.
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    private readonly SandboxOptions options;
    private readonly string workRoot;
    private readonly Lazy<string?> unavailableReason;

    public BubblewrapSandbox(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!JobDefinition.IsCleanAbsolute(options.WorkRoot) || options.WorkRoot == "/")
        {
            throw new ArgumentException("WorkRoot must be a normalized absolute directory other than /", nameof(options));
        }

        if (options.StderrCapBytes <= 0 || options.StderrCapBytes > Array.MaxLength)
        {
            throw new ArgumentException("StderrCapBytes must be positive", nameof(options));
        }

        this.options = options;
        workRoot = options.WorkRoot;
        // Probed once: a sandbox that worked at the first job keeps the same kernel and binary.
        unavailableReason = new(() => IsAvailable(options.BubblewrapPath, out var reason) ? null : reason);
    }

    /// <summary>
    /// Whether bubblewrap at <paramref name="bubblewrapPath"/> can really build the sandbox: runs
    /// <c>/usr/bin/true</c> in it once, since an installed bwrap may still fail (no user namespaces,
    /// seccomp in a container). <paramref name="reason"/> says what is wrong, or is empty.
    /// </summary>
    public static bool IsAvailable(string bubblewrapPath, out string reason)
    {
        ArgumentNullException.ThrowIfNull(bubblewrapPath);
        if (!File.Exists(bubblewrapPath))
        {
            reason = $"bubblewrap not found at {bubblewrapPath}: {InstallHint}";
            return false;
        }

        var start = NewStartInfo(bubblewrapPath, [.. NamespaceArguments(), .. BaseFilesystemArguments(), .. LockdownArguments(), "--", "/usr/bin/true"]);
        start.RedirectStandardInput = false;
        start.RedirectStandardOutput = false;
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                reason = $"bubblewrap at {bubblewrapPath} did not finish a trivial sandbox within 10 s";
                return false;
            }

            if (process.ExitCode != 0)
            {
                reason = $"bubblewrap at {bubblewrapPath} cannot create the sandbox (exit {process.ExitCode}: "
                    + $"{stderr.GetAwaiter().GetResult().Trim()}); it needs user namespaces: {InstallHint} and allow unprivileged user namespaces or run as root";
                return false;
            }
        }
        catch (Win32Exception e)
        {
            reason = $"bubblewrap at {bubblewrapPath} cannot be started ({e.Message}): {InstallHint}";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>Throws <see cref="SandboxUnavailableException"/> unless the sandbox works; call at startup to fail early.</summary>
    public void EnsureAvailable()
    {
        if (unavailableReason.Value is { } reason)
        {
            throw new SandboxUnavailableException("refusing to run jobs without a sandbox: " + reason);
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> once in a fresh sandbox with <paramref name="input"/> as its
    /// input. Timeout, output cap and cancellation kill the whole process tree and are reported in
    /// the result rather than thrown. <paramref name="jobId"/> only labels the run directory.
    /// </summary>
    /// <exception cref="ArgumentException">The job definition is invalid.</exception>
    /// <exception cref="SandboxUnavailableException">Bubblewrap is missing or does not work.</exception>
    public async Task<SandboxResult> RunAsync(JobDefinition job, string jobId, ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(jobId);
        if (!OperatingSystem.IsLinux())
        {
            throw new SandboxUnavailableException("the job sandbox needs Linux namespaces (bubblewrap)");
        }

        job.Validate();
        foreach (var host in job.ReadOnlyBinds.Keys)
        {
            // A bind containing WorkRoot (or inside it) would show other runs' work directories.
            if (JobDefinition.IsSameOrUnder(workRoot, host) || JobDefinition.IsSameOrUnder(host, workRoot))
            {
                throw new ArgumentException($"job '{job.Name}': bind source '{host}' overlaps the sandbox work root");
            }
        }

        EnsureAvailable();

        var runDirectory = CreateRunDirectory(jobId);
        try
        {
            var workDirectory = Path.Join(runDirectory, "work");
            Directory.CreateDirectory(workDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var etcDirectory = Path.Join(runDirectory, "etc");
            WriteEtc(etcDirectory);
            if (job.Input == JobInput.File)
            {
                await WriteInputFileAsync(Path.Join(workDirectory, Path.GetFileName(JobDefinition.InputPath)), input, cancellationToken).ConfigureAwait(false);
            }

            var arguments = BuildArguments(job, workDirectory, etcDirectory);
            return await RunProcessAsync(job, arguments, job.Input == JobInput.Stdin ? input : ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            DeleteRunDirectory(runDirectory);
        }
    }

    /// <summary>The full bubblewrap argument list for a run (exposed to tests and for logging; contains no input).</summary>
    internal static List<string> BuildArguments(JobDefinition job, string workDirectory, string etcDirectory)
    {
        var args = new List<string>(NamespaceArguments());
        args.AddRange(BaseFilesystemArguments());
        foreach (var name in new[] { "passwd", "group", "nsswitch.conf" })
        {
            args.AddRange(["--ro-bind", Path.Join(etcDirectory, name), "/etc/" + name]);
        }

        args.AddRange(["--bind", workDirectory, JobDefinition.WorkDirectory]);
        // Parents first, so a nested bind lands on top of its parent rather than under it.
        foreach (var (host, sandbox) in job.ReadOnlyBinds.OrderBy(b => b.Value.Length).ThenBy(b => b.Value, StringComparer.Ordinal))
        {
            args.AddRange(["--ro-bind", host, sandbox]);
        }

        args.AddRange(["--chdir", JobDefinition.WorkDirectory]);
        args.AddRange(LockdownArguments());
        args.AddRange(["--setenv", "HOME", JobDefinition.WorkDirectory, "--setenv", "LANG", "C.UTF-8", "--setenv", "TMPDIR", "/tmp"]);
        foreach (var (name, value) in job.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            args.AddRange(["--setenv", name, value]);
        }

        args.Add("--");
        args.Add(job.Command);
        args.AddRange(job.ExpandedArguments());
        return args;
    }

    private static IEnumerable<string> NamespaceArguments() =>
    [
        // --unshare-user (not -try): without a user namespace the run fails instead of running with host ids.
        "--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--uid", SandboxUid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--gid", SandboxUid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--hostname", "sandbox",
    ];

    private static List<string> BaseFilesystemArguments()
    {
        var args = new List<string> { "--ro-bind", "/usr", "/usr" };
        foreach (var top in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" })
        {
            var info = new FileInfo(top);
            if (info.LinkTarget is { } target)
            {
                // Debian's merged /usr: recreate the link, it then points into the read-only /usr.
                args.AddRange(["--symlink", target, top]);
            }
            else if (Directory.Exists(top))
            {
                args.AddRange(["--ro-bind", top, top]);
            }
        }

        args.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
        // The dynamic linker's cache only speeds up lookups; a host without one still works.
        args.AddRange(["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]);
        return args;
    }

    private static IEnumerable<string> LockdownArguments() =>
    [
        // Must follow every mount: the generated root (and /etc in it) becomes read-only.
        "--remount-ro", "/",
        "--cap-drop", "ALL", "--new-session", "--die-with-parent", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
    ];

    private static ProcessStartInfo NewStartInfo(string bubblewrapPath, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(bubblewrapPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        // bwrap's own environment is what its in-sandbox init (PID 1) carries, readable in
        // /proc/1/environ by the job: give it nothing of the runner's (secrets, certificate paths).
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private async Task<SandboxResult> RunProcessAsync(JobDefinition job, List<string> arguments, ReadOnlyMemory<byte> stdin, CancellationToken cancellationToken)
    {
        using var process = new Process { StartInfo = NewStartInfo(options.BubblewrapPath, arguments) };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new SandboxUnavailableException($"bubblewrap at {options.BubblewrapPath} cannot be started: {InstallHint}", e);
        }

        var stdout = ReadCappedAsync(process.StandardOutput.BaseStream, job.OutputCapBytes, stopAtCap: true, () => KillTree(process));
        var stderr = ReadCappedAsync(process.StandardError.BaseStream, options.StderrCapBytes, stopAtCap: false, onOverflow: null);
        var writer = WriteStdinAsync(process.StandardInput.BaseStream, stdin);

        var timedOut = false;
        var cancelled = false;
        using (var timeout = new CancellationTokenSource(job.Timeout))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                cancelled = cancellationToken.IsCancellationRequested;
                timedOut = !cancelled;
                KillTree(process);
            }
        }

        // Killing bwrap's namespace init takes every process in the PID namespace with it, so the
        // pipes close and this wait is short; the grace only bounds a broken kernel or bwrap.
        using (var grace = new CancellationTokenSource(KillGrace))
        {
            try
            {
                await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                await Task.WhenAll(stdout, stderr, writer).WaitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                process.StandardOutput.Close();
                process.StandardError.Close();
            }
        }

        stopwatch.Stop();
        var (output, truncated) = await stdout.ConfigureAwait(false);
        var (errors, _) = await stderr.ConfigureAwait(false);
        return new SandboxResult(process.HasExited ? process.ExitCode : -1, output, truncated, timedOut, cancelled, errors, stopwatch.Elapsed);
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Already gone between enumeration and kill.
        }
    }

    private static async Task WriteStdinAsync(Stream stdin, ReadOnlyMemory<byte> input)
    {
        try
        {
            // Straight from the caller's buffer into the pipe: no copy of the input to zero.
            if (!input.IsEmpty)
            {
                await stdin.WriteAsync(input).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The job exited (or was killed) without reading all of its input.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Broken pipe on close: same as above.
            }
        }
    }

    // Reads at most cap bytes into 64 KiB chunks (memory stays bounded by the cap). With
    // stopAtCap, one byte past the cap stops reading and calls onOverflow (kill the tree);
    // otherwise the rest is read and dropped so the job never blocks on a full pipe.
    private static async Task<(byte[] Data, bool Truncated)> ReadCappedAsync(Stream stream, long cap, bool stopAtCap, Action? onOverflow)
    {
        const int ChunkSize = 64 * 1024;
        var chunks = new List<byte[]>();
        long total = 0;
        var truncated = false;
        var spill = new byte[ChunkSize];
        try
        {
            while (true)
            {
                if (total < cap)
                {
                    var last = chunks.Count > 0 ? chunks[^1] : null;
                    var used = (int)(total % ChunkSize);
                    if (last is null || used == 0)
                    {
                        last = new byte[(int)Math.Min(ChunkSize, cap - total)];
                        chunks.Add(last);
                        used = 0;
                    }

                    var read = await stream.ReadAsync(last.AsMemory(used, last.Length - used)).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                    continue;
                }

                // At the cap: anything more means the output is cut.
                var extra = await stream.ReadAsync(stopAtCap ? spill.AsMemory(0, 1) : spill.AsMemory()).ConfigureAwait(false);
                if (extra == 0)
                {
                    break;
                }

                if (!truncated)
                {
                    truncated = true;
                    onOverflow?.Invoke();
                }

                if (stopAtCap)
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // Pipe torn down after a kill: keep what was read.
        }
        catch (ObjectDisposedException)
        {
            // Closed after the kill grace expired.
        }

        var data = new byte[total];
        long offset = 0;
        foreach (var chunk in chunks)
        {
            var length = (int)Math.Min(chunk.Length, total - offset);
            chunk.AsSpan(0, length).CopyTo(data.AsSpan((int)offset));
            offset += length;
            // Job output may be derived from the decrypted input: leave no stray copy.
            CryptographicOperations.ZeroMemory(chunk);
        }

        return (data, truncated);
    }

    [SupportedOSPlatform("linux")]
    private string CreateRunDirectory(string jobId)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(workRoot, OwnerOnly);
        var label = new string([.. jobId.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(40)]);
        // Random, not the job id alone: a re-run after a crash never meets a previous attempt's files.
        var name = (label.Length > 0 ? label + "-" : "") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var path = Path.Join(workRoot, name);
        var info = Directory.CreateDirectory(path, OwnerOnly);
        // CreateDirectory's mode is filtered by the umask; set it exactly.
        info.UnixFileMode = OwnerOnly;
        return path;
    }

    [SupportedOSPlatform("linux")]
    private static void WriteEtc(string etcDirectory)
    {
        Directory.CreateDirectory(etcDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Just enough for tools that look up the current user (python's getpass, id, whoami).
        File.WriteAllText(Path.Join(etcDirectory, "passwd"), $"nobody:x:{SandboxUid}:{SandboxUid}:nobody:{JobDefinition.WorkDirectory}:/usr/sbin/nologin\n", Encoding.ASCII);
        File.WriteAllText(Path.Join(etcDirectory, "group"), $"nogroup:x:{SandboxUid}:\n", Encoding.ASCII);
        File.WriteAllText(Path.Join(etcDirectory, "nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files\n", Encoding.ASCII);
    }

    [SupportedOSPlatform("linux")]
    private static async Task WriteInputFileAsync(string path, ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(input, cancellationToken).ConfigureAwait(false);
        }
    }

    [SupportedOSPlatform("linux")]
    private static void DeleteRunDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A job may leave directories without write permission (harmless when the runner is
            // root); restore owner access without following links, then retry once.
            foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
            {
                if (entry is DirectoryInfo { LinkTarget: null } directory)
                {
                    directory.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                }
            }

            Directory.Delete(path, recursive: true);
        }
    }
}
