namespace Strongroom.Core;

/// <summary>One invalid request field, reported to the caller as a google.rpc.BadRequest violation.</summary>
public sealed record FieldViolation(string Field, string Description);

/// <summary>
/// A failure the caller may see. The message is sent to the caller as is, so it must never contain
/// key material, passphrases, plaintext or internal paths — only what the caller already knows.
/// </summary>
public sealed class StrongroomException : Exception
{
    public StrongroomException()
        : this(ErrorKind.FailedPrecondition, "operation failed")
    {
    }

    public StrongroomException(string message)
        : this(ErrorKind.FailedPrecondition, message)
    {
    }

    public StrongroomException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = ErrorKind.FailedPrecondition;
    }

    public StrongroomException(ErrorKind kind, string message, IReadOnlyList<FieldViolation>? violations = null)
        : base(message)
    {
        Kind = kind;
        Violations = violations ?? [];
    }

    public ErrorKind Kind { get; }

    public IReadOnlyList<FieldViolation> Violations { get; } = [];

    public static StrongroomException InvalidArgument(string field, string description) =>
        new(ErrorKind.InvalidArgument, $"invalid {field}: {description}", [new FieldViolation(field, description)]);

    public static StrongroomException NotFound(string what) => new(ErrorKind.NotFound, what + " not found");

    public static StrongroomException AlreadyExists(string what) => new(ErrorKind.AlreadyExists, what + " already exists");

    public static StrongroomException FailedPrecondition(string message) => new(ErrorKind.FailedPrecondition, message);

    public static StrongroomException PermissionDenied(string message) => new(ErrorKind.PermissionDenied, message);

    public static StrongroomException ResourceExhausted(string message) => new(ErrorKind.ResourceExhausted, message);

    public static StrongroomException Unavailable(string message) => new(ErrorKind.Unavailable, message);
}
