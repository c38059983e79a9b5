using Strongroom.Client;

namespace Strongroom.Cli.Experimenter;

/// <summary>
/// The CLI side of the SDK's typed errors: the same failure, told as the command to run next and an
/// exit code from <see cref="ExitCodes"/>. Verification failures pass through unchanged (the CLI
/// reports them as "do not believe it").
/// </summary>
public static class ClientProblems
{
    public static StrongroomClient Open(ClientFolder folder, string edgeAddress)
    {
        try
        {
            return StrongroomClient.Open(folder, edgeAddress);
        }
        catch (StrongroomClientException ex) when (ex.Error != ClientError.Unverified)
        {
            throw Explain(ex, folder);
        }
    }

    /// <summary>Runs a command body against the SDK, explaining its failures in CLI terms.</summary>
    public static async Task<T> RunAsync<T>(ClientFolder folder, Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return await body();
        }
        catch (StrongroomClientException ex) when (ex.Error != ClientError.Unverified)
        {
            throw Explain(ex, folder);
        }
    }

    public static ClientProblemException Explain(StrongroomClientException ex, ClientFolder folder)
    {
        ArgumentNullException.ThrowIfNull(ex);
        ArgumentNullException.ThrowIfNull(folder);
        return ex.Error switch
        {
            ClientError.NotSetUp when ex.Path == folder.LogVerifierKeyFile =>
                new ClientProblemException($"{ex.Message}: ask an operator for it (dev: 'strongroom dev up' writes it)", ExitCodes.NotReady, ex),
            ClientError.NotSetUp when ex.Path is not null && ex.Path.StartsWith(folder.Keys, StringComparison.Ordinal) =>
                new ClientProblemException($"{ex.Message}: run 'strongroom client keygen --out {folder.Keys}', then have an operator run 'strongroom client register --identity {folder.Identity} --keys {folder.Keys}'", ExitCodes.NotReady, ex),
            ClientError.NotSetUp =>
                new ClientProblemException($"{ex.Message}: run 'strongroom pki issue {folder.Identity} --dir {folder.Pki}'", ExitCodes.NotReady, ex),
            ClientError.NotRegistered =>
                new ClientProblemException($"{ex.Message} with 'strongroom client register --identity {folder.Identity} --keys {folder.Keys}'", ExitCodes.NotReady, ex),
            ClientError.NotFound when ex.Status is null =>
                new ClientProblemException(ex.Message, ExitCodes.NotReady, ex),
            ClientError.Unavailable =>
                new ClientProblemException(ex.Message + ClientOptions.Hint(ex.Status ?? Grpc.Core.StatusCode.Unavailable), ExitCodes.NotReady, ex),
            _ => new ClientProblemException(ex.Message + (ex.Status is { } status ? ClientOptions.Hint(status) : ""), ExitCodes.Failed, ex),
        };
    }
}
