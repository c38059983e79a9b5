namespace Strongroom.Cli.Experimenter;

/// <summary>A problem the user can act on; the message says what to do next.</summary>
public sealed class ClientProblemException(string message, int exitCode = ExitCodes.Failed, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
