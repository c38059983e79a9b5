using System.Text.Json.Nodes;
using static Strongroom.KeyLog.EntrySchema;

namespace Strongroom.KeyLog;

/// <summary><c>key_version_marked</c>: a version became its key's primary, or its minimum.</summary>
public sealed record KeyVersionMarked : KeyLogEntry
{
    public const string TypeName = "key_version_marked";

    public required string Kid { get; init; }

    public required KeyMark Mark { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [Kid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["kid"] = Kid;
        obj["mark"] = Snake(Mark);
    }

    internal static KeyVersionMarked From(JsonObject obj, long time)
    {
        Exactly(obj, "kid", "mark");
        return new KeyVersionMarked { Time = time, Kid = CheckKid(Str(obj, "kid"), "kid"), Mark = FromSnake<KeyMark>(Str(obj, "mark"), "mark") };
    }
}
