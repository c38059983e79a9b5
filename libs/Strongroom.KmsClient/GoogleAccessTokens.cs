using Google.Apis.Auth.OAuth2;
using Grpc.Core;

namespace Strongroom.KmsClient;

/// <summary>
/// OAuth access tokens for Cloud KMS from Application Default Credentials, attached to each call as
/// <c>authorization: Bearer …</c> (what Grpc.Auth would do; it is not on our package source).
/// Google.Apis.Auth caches and refreshes the token; the credential is loaded once, on first use.
/// </summary>
internal static class GoogleAccessTokens
{
    public const string CloudKmsScope = "https://www.googleapis.com/auth/cloudkms";

    public static CallCredentials CallCredentials()
    {
        var credential = new Lazy<Task<ITokenAccess>>(async () =>
            (await GoogleCredential.GetApplicationDefaultAsync()).CreateScoped(CloudKmsScope));
        return Grpc.Core.CallCredentials.FromInterceptor(async (context, metadata) =>
        {
            var tokens = await credential.Value;
            var token = await tokens.GetAccessTokenForRequestAsync(cancellationToken: context.CancellationToken);
            metadata.Add("authorization", "Bearer " + token);
        });
    }
}
