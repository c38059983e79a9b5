using System.Text.RegularExpressions;
using Strongroom.Testing;

namespace Strongroom.Deployment.Tests;

/// <summary>One Dockerfile instruction (continuation lines joined).</summary>
public sealed record DockerInstruction(int Index, string Keyword, string Arguments);

/// <summary>A Dockerfile as instructions, enough to check how it builds without Docker; <see cref="Image"/> reads one target of a multi-target file.</summary>
public sealed partial class DockerfileText
{
    public required string Path { get; init; }

    public required IReadOnlyList<DockerInstruction> Instructions { get; init; }

    public static DockerfileText Load(string repoRelativePath) =>
        Parse(repoRelativePath, File.ReadAllText(System.IO.Path.Combine(RepoPaths.Root, repoRelativePath)));

    public static DockerfileText Parse(string path, string text)
    {
        var instructions = new List<DockerInstruction>();
        var current = "";
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            current += (current.Length > 0 ? " " : "") + line.TrimEnd('\\').Trim();
            if (!line.EndsWith('\\'))
            {
                Add(current);
                current = "";
            }
        }

        if (current.Length > 0)
        {
            Add(current);
        }

        return new DockerfileText { Path = path, Instructions = instructions };

        void Add(string instruction)
        {
            var space = instruction.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? instruction : instruction[..space]).ToUpperInvariant();
            instructions.Add(new DockerInstruction(instructions.Count, keyword, space < 0 ? "" : instruction[(space + 1)..].Trim()));
        }
    }

    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public string? FinalUser => FinalStage.LastOrDefault(i => i.Keyword == "USER")?.Arguments;

    /// <summary>The instructions of the last stage (what the image is).</summary>
    public IEnumerable<DockerInstruction> FinalStage => Instructions.Skip(Math.Max(0, Instructions.ToList().FindLastIndex(i => i.Keyword == "FROM")));

    public DockerInstruction? Run(string prefix) => All("RUN").FirstOrDefault(i => i.Arguments.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>COPY sources from the build context (not --from another stage).</summary>
    public IEnumerable<(DockerInstruction Copy, string Source)> CopySources() =>
        from copy in All("COPY")
        let words = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        where !words.Any(w => w.StartsWith("--from", StringComparison.Ordinal))
        from source in words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).SkipLast(1)
        select (copy, source);

    /// <summary>
    /// The image <c>docker build --target <paramref name="target"/></c> makes with these build args:
    /// only the stages it needs (its chain of FROM-a-stage and what it COPYs --from), build ARGs
    /// substituted as Docker does (per stage: an ARG the stage does not declare expands to nothing;
    /// never in ENTRYPOINT, CMD or HEALTHCHECK, which run after the args are gone), and the target's
    /// chain flattened onto its base image, so the rules read it as a build stage and a final stage.
    /// </summary>
    public DockerfileText Image(string target, IReadOnlyDictionary<string, string> buildArgs)
    {
        var firstFrom = Instructions.ToList().FindIndex(i => i.Keyword == "FROM");
        var preamble = firstFrom < 0 ? Instructions : Instructions.Take(firstFrom).ToList();
        var globals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in preamble.Where(i => i.Keyword == "ARG"))
        {
            var (name, value) = SplitArg(arg.Arguments);
            globals[name] = buildArgs.TryGetValue(name, out var given) ? given : Substitute(value ?? "", globals);
        }

        var stages = new List<(string? Name, string Base, List<DockerInstruction> Body)>();
        foreach (var i in Instructions.Skip(preamble.Count))
        {
            if (i.Keyword == "FROM")
            {
                var words = Substitute(i.Arguments, globals).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                var @as = words.FindIndex(w => w.Equals("AS", StringComparison.OrdinalIgnoreCase));
                stages.Add((@as >= 0 && @as + 1 < words.Count ? words[@as + 1] : null, words.FirstOrDefault() ?? "", [i with { Arguments = Substitute(i.Arguments, globals) }]));
            }
            else
            {
                stages[^1].Body.Add(i);
            }
        }

        int StageIndex(string name) => stages.FindIndex(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        var final = StageIndex(target);
        if (final < 0)
        {
            throw new ArgumentException($"{Path}: no stage named {target}", nameof(target));
        }

        var chain = new List<int>();
        for (var s = final; s >= 0 && !chain.Contains(s); s = StageIndex(stages[s].Base))
        {
            chain.Insert(0, s);
        }

        var needed = new HashSet<int>(chain);
        var pending = new Stack<int>(chain);
        while (pending.Count > 0)
        {
            foreach (var copy in stages[pending.Pop()].Body.Where(i => i.Keyword == "COPY"))
            {
                foreach (var from in copy.Arguments.Split(' ').Where(w => w.StartsWith("--from=", StringComparison.Ordinal)))
                {
                    for (var s = StageIndex(from["--from=".Length..]); s >= 0 && needed.Add(s); s = StageIndex(stages[s].Base))
                    {
                        pending.Push(s);
                    }
                }
            }
        }

        var resolved = new List<DockerInstruction>(preamble);
        foreach (var s in needed.Except(chain).Order())
        {
            resolved.AddRange(Resolve(stages[s].Body));
        }

        foreach (var s in chain)
        {
            resolved.AddRange(Resolve(stages[s].Body).Skip(s == chain[0] ? 0 : 1));
        }

        return new DockerfileText
        {
            Path = $"{Path} --target {target}",
            Instructions = resolved.Select((i, n) => i with { Index = n }).ToList(),
        };

        IEnumerable<DockerInstruction> Resolve(List<DockerInstruction> body)
        {
            var scope = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var i in body)
            {
                if (i.Keyword == "ARG")
                {
                    var (name, value) = SplitArg(i.Arguments);
                    scope[name] = buildArgs.TryGetValue(name, out var given) ? given
                        : value is null ? globals.GetValueOrDefault(name, "")
                        : Substitute(value, scope);
                    yield return i;
                }
                else
                {
                    yield return i.Keyword is "FROM" or "ENTRYPOINT" or "CMD" or "HEALTHCHECK" ? i : i with { Arguments = Substitute(i.Arguments, scope) };
                }
            }
        }
    }

    /// <summary>The build ARG names the image declares (before the first FROM or in a stage it builds).</summary>
    public IReadOnlySet<string> DeclaredArgs => All("ARG").Select(a => SplitArg(a.Arguments).Name).ToHashSet(StringComparer.Ordinal);

    private static (string Name, string? Value) SplitArg(string arguments)
    {
        var eq = arguments.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (arguments.Trim(), null) : (arguments[..eq].Trim(), arguments[(eq + 1)..].Trim().Trim('"'));
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        ArgReference().Replace(text, m => values.GetValueOrDefault(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, ""));

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ArgReference();
}
