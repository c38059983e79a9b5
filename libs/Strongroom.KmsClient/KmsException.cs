namespace Strongroom.KmsClient;

/// <summary>Why a KMS call failed, in the categories a caller acts on.</summary>
public enum KmsErrorKind
{
    InvalidArgument,
    NotFound,
    AlreadyExists,

    /// <summary>The version is disabled, scheduled for destruction or destroyed (or the key has no primary).</summary>
    FailedPrecondition,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
    Unavailable,
    DeadlineExceeded,

    /// <summary>A CRC32C did not match, a verified_* flag was false, or the response named the wrong version: the bytes were not used.</summary>
    Integrity,
    Internal,
}

/// <summary>A failed KMS call. Messages name resources and statuses only, never key material or plaintext.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1032:Implement standard exception constructors",
    Justification = "Every KmsException carries a kind.")]
public sealed class KmsException : Exception
{
    public KmsException(KmsErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public KmsErrorKind Kind { get; }

    /// <summary>Transient: the same call may succeed when repeated (after a backoff).</summary>
    public bool IsRetryable => Kind is KmsErrorKind.Unavailable or KmsErrorKind.DeadlineExceeded
        or KmsErrorKind.Integrity or KmsErrorKind.ResourceExhausted;
}
