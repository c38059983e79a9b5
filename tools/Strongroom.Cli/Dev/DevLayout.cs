namespace Strongroom.Cli.Dev;

/// <summary>Where the local stack keeps its state: one folder, <c>.dev/</c>, reset with <c>strongroom dev reset</c>.</summary>
public sealed class DevLayout(string repoRoot, string stateRoot)
{
    public string RepoRoot { get; } = Path.GetFullPath(repoRoot);

    public string StateRoot { get; } = Path.GetFullPath(stateRoot);

    public string Pki => Path.Combine(StateRoot, "pki");

    public string Secrets => Path.Combine(StateRoot, "secrets");

    public string Logs => Path.Combine(StateRoot, "logs");

    /// <summary>The kms operator passphrase (0600), generated on first start.</summary>
    public string KmsPassphraseFile => Path.Combine(Secrets, "kms-passphrase");

    public string Data(string service) => Path.Combine(StateRoot, "data", service);

    /// <summary>Finds the repository (the folder holding Services.sln) from the working directory upwards.</summary>
    public static string FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Services.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run this from inside the Strongroom repository (no Services.sln above " + start + ")");
    }
}
