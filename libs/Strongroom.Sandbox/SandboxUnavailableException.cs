namespace Strongroom.Sandbox;

/// <summary>
/// Bubblewrap is missing or cannot create the namespaces: the runner refuses to run jobs rather than
/// run them unsandboxed. The message says what to install; it never contains job input.
/// </summary>
public sealed class SandboxUnavailableException : Exception
{
    public SandboxUnavailableException()
        : base("the job sandbox (bubblewrap) is unavailable")
    {
    }

    public SandboxUnavailableException(string message)
        : base(message)
    {
    }

    public SandboxUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
