using Grpc.Core;

namespace Strongroom.Client;

/// <summary>What kind of thing went wrong, so a program can act on it without reading the message.</summary>
public enum ClientError
{
    /// <summary>This client is not set up: no certificate, no keys or no key-log verifier key in its folder (<see cref="StrongroomClientException.Path"/> names what is missing).</summary>
    NotSetUp = 1,

    /// <summary>The runner does not know this client's signing key: an operator has not registered it yet.</summary>
    NotRegistered,

    /// <summary>The edge or a service could not be reached or did not answer in time; retrying later may help.</summary>
    Unavailable,

    /// <summary>The edge refused this client's certificate or identity.</summary>
    NotAuthorized,

    /// <summary>The service refused the call (bad input, policy, limits); <see cref="StrongroomClientException.Status"/> says which.</summary>
    Refused,

    /// <summary>There is no such job or result, or this client folder has no record of the job.</summary>
    NotFound,

    /// <summary>A key, the key log or a result did not verify: do not believe it.</summary>
    Unverified,
}

/// <summary>
/// The one exception type the SDK's experimenter flow throws for things a caller can act on
/// (<see cref="KeyLogVerificationException"/> and <see cref="ResultVerificationException"/> are its
/// <see cref="ClientError.Unverified"/> kinds). Messages name no secret.
/// </summary>
public class StrongroomClientException : Exception
{
    public StrongroomClientException()
    {
    }

    public StrongroomClientException(string message)
        : base(message)
    {
    }

    public StrongroomClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StrongroomClientException(ClientError error, string message, Exception? innerException = null, string? path = null)
        : base(message, innerException)
    {
        _error = error;
        Path = path;
        Status = (innerException as RpcException)?.StatusCode;
    }

    private readonly ClientError _error = ClientError.Refused;

    public virtual ClientError Error => _error;

    /// <summary>The gRPC status the service answered, when the error came from one.</summary>
    public StatusCode? Status { get; }

    /// <summary>The file or folder that is missing or wrong, for <see cref="ClientError.NotSetUp"/>.</summary>
    public string? Path { get; }

    /// <summary>Translates a service's answer into the SDK's kinds; <paramref name="what"/> says which call it was.</summary>
    public static StrongroomClientException FromRpc(RpcException ex, string what)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var error = ex.StatusCode switch
        {
            StatusCode.Unavailable or StatusCode.DeadlineExceeded => ClientError.Unavailable,
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => ClientError.NotAuthorized,
            StatusCode.NotFound => ClientError.NotFound,
            _ => ClientError.Refused,
        };
        return new StrongroomClientException(error, $"{what}: {ex.StatusCode}: {ex.Status.Detail}", ex);
    }
}
