using System.Collections.Frozen;
using Strongroom.Pki;

namespace Strongroom.Edge.Routing;

/// <summary>
/// A gRPC method an edge forwards beyond the compiled <see cref="ClientFacingMethods"/>. Only a host
/// that composes the edge in code can add one (registered as a singleton after
/// <c>AddStrongroomEdge</c>); no configuration setting can, so a deployment's edge forwards exactly
/// the client-facing set. The edge stays a router for it: same guard, relayed identity and audit.
/// </summary>
public sealed record ForwardedMethod(string Path, WorkloadIdentity Backend);

/// <summary>
/// What this edge may forward: the compiled <see cref="ClientFacingMethods"/> plus any
/// <see cref="ForwardedMethod"/> its host registered in code. Decided once at start.
/// </summary>
public sealed class RoutableMethods
{
    public RoutableMethods(IEnumerable<ForwardedMethod> additional)
    {
        ArgumentNullException.ThrowIfNull(additional);
        Additional = [.. additional];
        if (Additional.Count == 0)
        {
            All = ClientFacingMethods.All;
            return;
        }

        var methods = new Dictionary<string, WorkloadIdentity>(ClientFacingMethods.All, StringComparer.Ordinal);
        foreach (var method in Additional)
        {
            if (method.Path is not ['/', .., not '/'] || method.Path.Count(c => c == '/') != 2)
            {
                throw new InvalidOperationException($"a forwarded method must be a full gRPC path /package.Service/Method, not '{method.Path}'");
            }

            if (!method.Backend.IsService)
            {
                throw new InvalidOperationException($"a forwarded method must name a service backend, not {method.Backend}");
            }

            // Never re-point a client-facing method (or one already added) at another backend.
            if (!methods.TryAdd(method.Path, method.Backend))
            {
                throw new InvalidOperationException($"'{method.Path}' is already routable; a host cannot add it again");
            }
        }

        All = methods.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Full method path → the service identity that serves it.</summary>
    public FrozenDictionary<string, WorkloadIdentity> All { get; }

    /// <summary>The methods the host added beyond the client-facing set (none in the shipped edge).</summary>
    public IReadOnlyList<ForwardedMethod> Additional { get; }

    public bool TryGetBackend(string? path, out WorkloadIdentity backend)
    {
        backend = null!;
        return path is not null && All.TryGetValue(path, out backend!);
    }
}
