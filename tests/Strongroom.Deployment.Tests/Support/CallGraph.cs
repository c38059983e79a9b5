namespace Strongroom.Deployment.Tests.Support;

/// <summary>
/// DESIGN.md §1–§2 as data: which process calls which, on which listener. The deployment files'
/// network rules must allow exactly these edges (plus DNS, PostgreSQL and Cloud KMS egress).
/// </summary>
public static class CallGraph
{
    public static readonly IReadOnlyList<string> Services = ["kms", "keyservice", "signer", "storage", "runner", "edge"];

    /// <summary>(caller, callee) over the callee's public mTLS listener.</summary>
    public static readonly IReadOnlySet<(string Caller, string Callee)> Calls = new HashSet<(string, string)>
    {
        ("edge", "runner"),
        ("edge", "keyservice"),
        ("edge", "storage"),
        ("runner", "keyservice"),
        ("runner", "signer"),
        ("runner", "storage"),
        ("keyservice", "kms"),
        ("keyservice", "storage"),
        ("signer", "kms"),
        ("signer", "storage"),
        ("storage", "signer"),
    };

    /// <summary>Services that keep application private keys (KMS-wrapped) in their own store.</summary>
    public static readonly IReadOnlyList<string> KeyHolders = ["keyservice", "signer"];

    /// <summary>The only service reachable from outside the deployment.</summary>
    public const string PublicEntry = "edge";

    /// <summary>Operators reach every service's admin listener (the CLI container / a Job), never through the edge.</summary>
    public const string OperatorTool = "cli";
}
