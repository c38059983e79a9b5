namespace Strongroom.Core;

/// <summary>
/// The closed set of failures a domain class may report. Each maps to exactly one gRPC status in
/// the hosting library's error mapper; anything that is not a <see cref="StrongroomException"/>
/// becomes a generic INTERNAL with no detail.
/// </summary>
public enum ErrorKind
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
    Unavailable,
    DeadlineExceeded,
}
