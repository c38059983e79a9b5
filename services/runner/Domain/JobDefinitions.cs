using System.Diagnostics.CodeAnalysis;
using Strongroom.Sandbox;

namespace Strongroom.Runner.Domain;

/// <summary>The operator's jobs, validated once at start: a runner with a bad job definition does not start.</summary>
public sealed class JobDefinitions
{
    private readonly Dictionary<string, JobDefinition> _jobs = new(StringComparer.Ordinal);

    public JobDefinitions(RunnerOptions options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var root = string.IsNullOrEmpty(options.JobsRoot) ? environment.ContentRootPath : options.JobsRoot;
        foreach (var (name, job) in options.Jobs)
        {
            var definition = new JobDefinition
            {
                Name = name,
                Command = job.Command,
                Arguments = job.Arguments,
                Timeout = TimeSpan.FromSeconds(job.TimeoutSeconds),
                OutputCapBytes = job.OutputCapBytes,
                Input = Enum.TryParse<JobInput>(job.Input, ignoreCase: true, out var input)
                    ? input
                    : throw new InvalidOperationException($"Runner:Jobs:{name}:Input must be Stdin or File"),
                // Relative host paths are relative to JobsRoot (e.g. examples/jobs in the repository).
                ReadOnlyBinds = job.ReadOnlyBinds.ToDictionary(b => Path.GetFullPath(b.Key, root), b => b.Value, StringComparer.Ordinal),
                Environment = job.Environment,
            };
            var problems = definition.Problems();
            if (problems.Count > 0)
            {
                throw new InvalidOperationException($"Runner:Jobs:{name} is invalid: {string.Join("; ", problems)}");
            }

            _jobs[name] = definition;
        }
    }

    public IReadOnlyCollection<string> Names => _jobs.Keys;

    public bool TryGet(string name, [NotNullWhen(true)] out JobDefinition? definition) => _jobs.TryGetValue(name, out definition);
}
