using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Pki;

/// <summary>Writes files atomically, creating them owner-only (0600) from the first byte.</summary>
public static class SecureFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    /// <summary>
    /// Writes to a temporary file created 0600 in the same directory, flushes it to disk and renames it
    /// over the target, so a reader (a reloading service) never sees a half-written file.
    /// </summary>
    public static void WriteAllText(string path, string contents, bool secret)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var bytes = Encoding.UTF8.GetBytes(contents);
        try
        {
            WriteAllBytes(path, bytes, secret);
        }
        finally
        {
            if (secret)
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }
    }

    /// <summary>
    /// As <see cref="WriteAllText"/>, for bytes: secret files are owner-only (0600) from the first
    /// byte, others also world-readable (0644); a crash never leaves half a file.
    /// </summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents, bool secret)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = secret ? OwnerOnly : OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Creates a directory readable by its owner only (used for the CA key's folder).</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, OwnerOnlyDirectory);
        File.SetUnixFileMode(path, OwnerOnlyDirectory);
    }
}
