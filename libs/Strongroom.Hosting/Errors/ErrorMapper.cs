using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Strongroom.Core;

namespace Strongroom.Hosting.Errors;

/// <summary>
/// The one place a failure becomes a gRPC status. Domain failures keep their kind and message (which
/// domain code keeps free of secrets); everything else is INTERNAL with only a reference id, so no
/// stack trace, path or exception text reaches a caller.
/// </summary>
public static class ErrorMapper
{
    public static RpcException ToRpcException(StrongroomException error)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)ToCode(error.Kind),
            Message = error.Message,
        };
        if (error.Violations.Count > 0)
        {
            var badRequest = new BadRequest();
            foreach (var v in error.Violations)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description });
            }

            status.Details.Add(Any.Pack(badRequest));
        }

        return status.ToRpcException();
    }

    public static RpcException Internal(string reference) =>
        new Google.Rpc.Status { Code = (int)Code.Internal, Message = "internal error (ref " + reference + ")" }.ToRpcException();

    public static RpcException Status(StatusCode code, string message) =>
        new Google.Rpc.Status { Code = (int)code, Message = message }.ToRpcException();

    public static StatusCode ToCode(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ErrorKind.NotFound => StatusCode.NotFound,
        ErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        ErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        ErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        ErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorKind.Unavailable => StatusCode.Unavailable,
        ErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };
}
