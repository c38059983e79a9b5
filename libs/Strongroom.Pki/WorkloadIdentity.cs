using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Strongroom.Pki;

/// <summary>The kind of principal a workload identity names.</summary>
public enum IdentityKind
{
    Service,
    Client,
    Operator,
}

/// <summary>
/// A workload identity: the single URI SAN of an mTLS certificate, e.g. <c>spiffe://strongroom/keyservice</c>
/// or <c>spiffe://strongroom/client/alice</c>. Only the names of DESIGN §2 parse; anything else is refused.
/// </summary>
public sealed partial record WorkloadIdentity
{
    public const string Scheme = "spiffe";
    public const string TrustDomain = "strongroom";
    public const string Prefix = "spiffe://strongroom/";

    public static readonly IReadOnlyList<string> ServiceNames = ["kms", "keyservice", "signer", "storage", "runner", "edge"];

    public static WorkloadIdentity Kms { get; } = Service("kms");
    public static WorkloadIdentity KeyService { get; } = Service("keyservice");
    public static WorkloadIdentity Signer { get; } = Service("signer");
    public static WorkloadIdentity Storage { get; } = Service("storage");
    public static WorkloadIdentity Runner { get; } = Service("runner");
    public static WorkloadIdentity Edge { get; } = Service("edge");

    private WorkloadIdentity(string path, IdentityKind kind)
    {
        Path = path;
        Kind = kind;
    }

    /// <summary>The part after <c>spiffe://strongroom/</c>, e.g. <c>runner</c> or <c>client/alice</c>.</summary>
    public string Path { get; }

    public IdentityKind Kind { get; }

    public Uri Uri => new(Prefix + Path);

    public bool IsService => Kind == IdentityKind.Service;

    public bool IsClient => Kind == IdentityKind.Client;

    public bool IsOperator => Kind == IdentityKind.Operator;

    public override string ToString() => Prefix + Path;

    public static WorkloadIdentity Service(string name) =>
        Parse(Prefix + name) is { IsService: true } id ? id : throw new ArgumentException("not a service name", nameof(name));

    public static WorkloadIdentity Client(string name) => Parse(Prefix + "client/" + name);

    public static WorkloadIdentity Operator(string name) => Parse(Prefix + "operator/" + name);

    public static WorkloadIdentity Parse(string value) =>
        TryParse(value, out var id) ? id : throw new FormatException("not a Strongroom workload identity");

    /// <summary>Parses the full URI form; the whole string must match DESIGN §2's pattern exactly.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out WorkloadIdentity? identity)
    {
        identity = null;
        if (value is null || value.Length > 200)
        {
            return false;
        }

        var m = IdentityPattern().Match(value);
        if (!m.Success)
        {
            return false;
        }

        var path = m.Groups["path"].Value;
        var kind = path.StartsWith("client/", StringComparison.Ordinal) ? IdentityKind.Client
            : path.StartsWith("operator/", StringComparison.Ordinal) ? IdentityKind.Operator
            : IdentityKind.Service;
        identity = new WorkloadIdentity(path, kind);
        return true;
    }

    /// <summary>
    /// Parses a short name as used in policy tables and the CLI: <c>runner</c>, <c>client/alice</c>,
    /// or the full <c>spiffe://</c> form.
    /// </summary>
    public static WorkloadIdentity ParseShort(string value) =>
        value.StartsWith(Prefix, StringComparison.Ordinal) ? Parse(value) : Parse(Prefix + value);

    // Anchored; the pattern has no nested quantifiers, so matching stays linear on hostile input.
    [GeneratedRegex(@"\Aspiffe://strongroom/(?<path>kms|keyservice|signer|storage|runner|edge|client/[a-z0-9-]+|operator/[a-z0-9-]+)\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex IdentityPattern();
}
