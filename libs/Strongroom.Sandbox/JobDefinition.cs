using System.Text.RegularExpressions;

namespace Strongroom.Sandbox;

/// <summary>How a job receives its decrypted input.</summary>
public enum JobInput
{
    /// <summary>Piped to the job's stdin, then stdin is closed.</summary>
    Stdin,

    /// <summary>Written 0600 to <see cref="JobDefinition.InputPath"/> in the work directory; stdin is empty.</summary>
    File,
}

/// <summary>
/// An operator-defined job (from configuration, never from a request): the command, its argument
/// template, limits and what else is mounted. Paths in <see cref="Command"/> and the arguments are
/// paths inside the sandbox.
/// </summary>
public sealed partial class JobDefinition
{
    /// <summary>The job's working directory inside the sandbox (read-write, fresh per run); also HOME.</summary>
    public const string WorkDirectory = "/work";

    /// <summary>The input file inside the sandbox when <see cref="Input"/> is <see cref="JobInput.File"/>.</summary>
    public const string InputPath = "/work/input";

    /// <summary>Upper bound for <see cref="Timeout"/>; jobs are batch work, not services.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(24);

    // Sandbox paths the sandbox itself provides; an extra bind may not replace or contain them.
    private static readonly string[] ReservedPaths =
        ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/dev", "/tmp", "/etc", WorkDirectory];

    // Mounted from the host at the same path, so a command there is checked on the host as is.
    private static readonly string[] HostRoots = ["/usr", "/bin", "/sbin"];

    // The sandbox sets these itself; a job overriding them would undo the scrubbing.
    private static readonly string[] ReservedEnvironment = ["PATH", "HOME", "TMPDIR"];

    public required string Name { get; init; }

    /// <summary>Absolute path inside the sandbox: under /usr (or /bin, /sbin) or under a <see cref="ReadOnlyBinds"/> target.</summary>
    public required string Command { get; init; }

    /// <summary>Argument template: <c>{input}</c> becomes <see cref="InputPath"/> (file input only), <c>{workdir}</c> becomes <see cref="WorkDirectory"/>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public TimeSpan Timeout { get; init; }

    /// <summary>Stdout kept; beyond it the tree is killed and the result marked truncated.</summary>
    public long OutputCapBytes { get; init; }

    public JobInput Input { get; init; } = JobInput.Stdin;

    /// <summary>Extra read-only mounts: host path → sandbox path (e.g. the job scripts at /job).</summary>
    public IReadOnlyDictionary<string, string> ReadOnlyBinds { get; init; } = new Dictionary<string, string>();

    /// <summary>Variables set in the job besides PATH, HOME, LANG, TMPDIR (and PWD, set by bwrap); nothing else is inherited.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Every reason this definition is refused (empty when it is valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(Name) || !NamePattern().IsMatch(Name))
        {
            problems.Add("name must be 1-64 characters of letters, digits, '.', '_' or '-'");
        }

        if (Timeout <= TimeSpan.Zero || Timeout > MaxTimeout)
        {
            problems.Add($"timeout must be positive and at most {MaxTimeout}");
        }

        if (OutputCapBytes <= 0 || OutputCapBytes > Array.MaxLength)
        {
            problems.Add("output cap must be positive and fit in one array");
        }

        if (!Enum.IsDefined(Input))
        {
            problems.Add("input must be Stdin or File");
        }

        foreach (var (host, sandbox) in ReadOnlyBinds)
        {
            if (!IsCleanAbsolute(host) || !Path.Exists(host))
            {
                problems.Add($"bind source '{host}' must be an existing absolute path");
            }

            if (!IsCleanAbsolute(sandbox) || sandbox == "/")
            {
                problems.Add($"bind target '{sandbox}' must be a normalized absolute path other than /");
            }
            else if (ReservedPaths.Any(r => IsSameOrUnder(sandbox, r) || IsSameOrUnder(r, sandbox)))
            {
                problems.Add($"bind target '{sandbox}' would shadow {string.Join(", ", ReservedPaths)}");
            }
        }

        var commandOnHost = CommandOnHost();
        if (commandOnHost is null)
        {
            problems.Add($"command '{Command}' must be an absolute path under /usr, /bin, /sbin or a read-only bind target");
        }
        else if (!System.IO.File.Exists(commandOnHost))
        {
            problems.Add($"command '{Command}' does not exist");
        }

        foreach (var argument in Arguments)
        {
            if (argument is null || argument.Contains('\0', StringComparison.Ordinal))
            {
                problems.Add("arguments must not be null or contain NUL");
            }
            else if (Input != JobInput.File && argument.Contains("{input}", StringComparison.Ordinal))
            {
                problems.Add("{input} is only available with file input");
            }
        }

        foreach (var (name, value) in Environment)
        {
            if (!EnvironmentNamePattern().IsMatch(name))
            {
                problems.Add($"environment name '{name}' must match [A-Z_][A-Z0-9_]*");
            }
            else if (ReservedEnvironment.Contains(name))
            {
                problems.Add($"environment variable {name} is set by the sandbox");
            }

            if (value is null || value.Contains('\0', StringComparison.Ordinal))
            {
                problems.Add($"environment variable {name} must not be null or contain NUL");
            }
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, so configuration errors show at once.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"job '{Name}' is invalid: {string.Join("; ", problems)}");
        }
    }

    /// <summary>The arguments with the placeholders substituted.</summary>
    internal IEnumerable<string> ExpandedArguments() =>
        Arguments.Select(a => a.Replace("{input}", InputPath, StringComparison.Ordinal)
            .Replace("{workdir}", WorkDirectory, StringComparison.Ordinal));

    // Where the in-sandbox command lives on the host, or null when nothing mounts it.
    private string? CommandOnHost()
    {
        if (string.IsNullOrEmpty(Command) || !IsCleanAbsolute(Command))
        {
            return null;
        }

        foreach (var (host, sandbox) in ReadOnlyBinds)
        {
            if (IsCleanAbsolute(sandbox) && IsSameOrUnder(Command, sandbox) && Command != sandbox)
            {
                return Path.Join(host, Command[sandbox.Length..]);
            }
        }

        // /usr is mounted from the host as is; /bin and /sbin are the host's own (merged-usr symlinks or binds).
        return HostRoots.Any(r => IsSameOrUnder(Command, r) && Command != r) ? Command : null;
    }

    internal static bool IsCleanAbsolute(string? path) =>
        !string.IsNullOrEmpty(path) && path[0] == '/' && !path.Contains('\0', StringComparison.Ordinal)
        && (path == "/" || (!path.EndsWith('/') && Path.GetFullPath(path) == path && !path.Contains("//", StringComparison.Ordinal)));

    internal static bool IsSameOrUnder(string path, string root) =>
        path == root || path.StartsWith(root == "/" ? "/" : root + "/", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Z_][A-Z0-9_]*$")]
    private static partial Regex EnvironmentNamePattern();
}
