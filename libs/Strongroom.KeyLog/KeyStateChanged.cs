using System.Text.Json.Nodes;
using static Strongroom.KeyLog.EntrySchema;

namespace Strongroom.KeyLog;

/// <summary><c>key_state_changed</c>: a lifecycle change of one key version.</summary>
public sealed record KeyStateChanged : KeyLogEntry
{
    public const string TypeName = "key_state_changed";

    public required string Kid { get; init; }

    public required KeyState State { get; init; }

    public override string Type => TypeName;

    public override IReadOnlyList<string> Kids => [Kid];

    protected override void AddMembers(JsonObject obj)
    {
        obj["kid"] = Kid;
        obj["state"] = Snake(State);
    }

    internal static KeyStateChanged From(JsonObject obj, long time)
    {
        Exactly(obj, "kid", "state");
        return new KeyStateChanged { Time = time, Kid = CheckKid(Str(obj, "kid"), "kid"), State = FromSnake<KeyState>(Str(obj, "state"), "state") };
    }
}
