using System.Text;

namespace Strongroom.Kms.Tests.Support;

/// <summary>A scratch folder with passphrase files, deleted at the end.</summary>
public sealed class Scratch : IDisposable
{
    public Scratch()
    {
        Root = Path.Combine(Path.GetTempPath(), "strongroom-kms-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>Writes a passphrase file 0600 with a trailing newline (as `echo` would) and returns its path.</summary>
    public string Passphrase(string name, string passphrase, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = PathOf(name);
        File.WriteAllText(path, passphrase + "\n", new UTF8Encoding(false));
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>A fresh random passphrase, distinctive enough to search for in files and logs.</summary>
    public static string NewPassphrase() => "pass-" + Guid.NewGuid().ToString("N");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
