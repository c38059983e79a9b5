using System.Text.Json.Nodes;
using static Strongroom.KeyLog.EntrySchema;

namespace Strongroom.KeyLog;

/// <summary><c>alias_bound</c>: a foreign name (e.g. a sqooler kid) bound once to a thumbprint kid.</summary>
public sealed record AliasBound : KeyLogEntry
{
    public const string TypeName = "alias_bound";

    public required string Alias { get; init; }

    public required string Kid { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [Kid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["alias"] = Alias;
        obj["kid"] = Kid;
    }

    internal static AliasBound From(JsonObject obj, long time)
    {
        Exactly(obj, "alias", "kid");
        return new AliasBound { Time = time, Alias = CheckAlias(Str(obj, "alias")), Kid = CheckKid(Str(obj, "kid"), "kid") };
    }
}
