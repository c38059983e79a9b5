using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Strongroom.Pki;

namespace Strongroom.Edge.Routing;

/// <summary>
/// What this edge may forward: the compiled <see cref="ClientFacingMethods"/>, plus the bench
/// baseline server's two methods when <see cref="BenchRouteOptions.Enabled"/> (off by default).
/// Decided once at start from configuration; a reload cannot turn the bench route on.
/// </summary>
public sealed class RoutableMethods
{
    public const string BenchEmpty = "/strongroom.bench.v1.Bench/Empty";
    public const string BenchCommit = "/strongroom.bench.v1.Bench/Commit";

    public RoutableMethods(IOptions<EdgeOptions> options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var bench = options.Value.Bench;
        if (!bench.Enabled)
        {
            All = ClientFacingMethods.All;
            return;
        }

        // A benchmark switch must not be reachable by a mistyped production setting.
        if (!environment.IsDevelopment())
        {
            throw new InvalidOperationException($"Edge:Bench:Enabled is for the benchmark harness only and is refused in the {environment.EnvironmentName} environment");
        }

        WorkloadIdentity identity;
        try
        {
            identity = WorkloadIdentity.ParseShort(bench.Identity);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"Edge:Bench:Identity '{bench.Identity}' is not a service identity");
        }

        if (!identity.IsService)
        {
            throw new InvalidOperationException($"Edge:Bench:Identity must name a service the bench server's certificate carries, not {identity}");
        }

        var methods = new Dictionary<string, WorkloadIdentity>(ClientFacingMethods.All, StringComparer.Ordinal)
        {
            [BenchEmpty] = identity,
            [BenchCommit] = identity,
        };
        All = methods.ToFrozenDictionary(StringComparer.Ordinal);
        BenchEnabled = true;
    }

    /// <summary>Full method path → the service identity that serves it.</summary>
    public FrozenDictionary<string, WorkloadIdentity> All { get; }

    public bool BenchEnabled { get; }

    public bool TryGetBackend(string? path, out WorkloadIdentity backend)
    {
        backend = null!;
        return path is not null && All.TryGetValue(path, out backend!);
    }
}
