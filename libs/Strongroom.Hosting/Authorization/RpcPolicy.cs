using Strongroom.Pki;

namespace Strongroom.Hosting.Authorization;

/// <summary>A compiled policy row: who may call one method, and where it is served.</summary>
public sealed class MethodRule
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly bool _anyClient;
    private readonly bool _anyOperator;
    private readonly bool _anyone;

    public MethodRule(string method, MethodPolicy row)
    {
        Method = method;
        Admin = row.Admin;
        ClientFacing = row.ClientFacing;
        foreach (var entry in row.Allow)
        {
            switch (entry)
            {
                case "*":
                    _anyone = true;
                    break;
                case "client/*":
                    _anyClient = true;
                    break;
                case "operator/*":
                    _anyOperator = true;
                    break;
                default:
                    var id = WorkloadIdentity.ParseShort(entry);
                    if (id == WorkloadIdentity.Edge)
                    {
                        // DESIGN §2: the edge is a router, never a principal.
                        throw new InvalidOperationException($"policy for {method} names the edge; the edge may appear in no policy row");
                    }

                    _exact.Add(id.Path);
                    break;
            }
        }
    }

    public string Method { get; }

    public bool Admin { get; }

    public bool ClientFacing { get; }

    public bool OpenToEveryone => _anyone;

    public bool Allows(WorkloadIdentity caller)
    {
        // Even "*" never admits the edge in its own name: it may only relay a client's identity.
        if (caller == WorkloadIdentity.Edge)
        {
            return false;
        }

        return _anyone
            || (_anyClient && caller.IsClient)
            || (_anyOperator && caller.IsOperator)
            || _exact.Contains(caller.Path);
    }
}

/// <summary>The policy table of one service, checked for completeness before the service starts.</summary>
public sealed class RpcPolicy
{
    private readonly Dictionary<string, MethodRule> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _defaults = new(StringComparer.Ordinal);

    /// <param name="rows">The configured table.</param>
    /// <param name="defaults">Rows the hosting library supplies (health, reflection, audit head) unless configured.</param>
    public RpcPolicy(IReadOnlyDictionary<string, MethodPolicy> rows, IReadOnlyDictionary<string, MethodPolicy>? defaults = null)
    {
        foreach (var (method, row) in rows)
        {
            _rules[method] = new MethodRule(method, row);
        }

        foreach (var (method, row) in defaults ?? new Dictionary<string, MethodPolicy>())
        {
            if (_rules.TryAdd(method, new MethodRule(method, row)))
            {
                _defaults.Add(method);
            }
        }
    }

    public MethodRule? Find(string method) => _rules.GetValueOrDefault(method);

    /// <summary>
    /// Refuses a policy that leaves a served method without a row, opens an admin method to everyone,
    /// or names a method the service does not serve (a typo would otherwise leave a method unguarded).
    /// </summary>
    public void EnsureCovers(IEnumerable<string> servedMethods)
    {
        var served = new HashSet<string>(servedMethods, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var method in served.Order(StringComparer.Ordinal))
        {
            if (!_rules.ContainsKey(method))
            {
                problems.Add($"method {method} has no policy row");
            }
        }

        foreach (var rule in _rules.Values.OrderBy(r => r.Method, StringComparer.Ordinal))
        {
            if (rule.Admin && rule.OpenToEveryone)
            {
                problems.Add($"admin method {rule.Method} is open to everyone");
            }

            if (rule.Admin && rule.ClientFacing)
            {
                problems.Add($"admin method {rule.Method} cannot be client-facing");
            }

            if (!served.Contains(rule.Method) && !_defaults.Contains(rule.Method))
            {
                problems.Add($"policy row {rule.Method} names a method this service does not serve");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("refusing to start, the RPC policy is incomplete: " + string.Join("; ", problems));
        }
    }
}
