using System.Globalization;
using Strongroom.Kms.Domain;

namespace Strongroom.Kms.Storage;

/// <summary>
/// Reads an operator passphrase from a file given to the kms alone. The file must not be readable by
/// group or others (as ssh treats private keys), one trailing newline is ignored, and the bytes live
/// in a pinned buffer the caller zeroes (disposes) as soon as the key is derived.
/// </summary>
internal static class PassphraseFile
{
    public const int MinLength = 16;
    public const int MaxLength = 1024;

    public static SecretBuffer Read(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new SealedStoreException($"passphrase file {full} does not exist");
        }

        FilePermissions.RequireOwnerOnly(full, "passphrase file");
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (stream.Length > MaxLength + 2)
        {
            throw new SealedStoreException($"passphrase file {full} is larger than {MaxLength} bytes");
        }

        var buffer = new SecretBuffer(MaxLength + 2);
        try
        {
            var target = buffer.GetSpan((int)stream.Length);
            stream.ReadExactly(target);
            var length = target.Length;
            if (length > 0 && target[length - 1] == (byte)'\n')
            {
                length--;
                if (length > 0 && target[length - 1] == (byte)'\r')
                {
                    length--;
                }
            }

            buffer.Advance(length);
            if (length < MinLength)
            {
                throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture,
                    $"the passphrase in {full} is shorter than {MinLength} bytes"));
            }

            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}

/// <summary>Unix permission checks for the kms's secret files.</summary>
internal static class FilePermissions
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Refuses a file that group or others may access (e.g. 0644 or 0640); 0600 and 0400 pass.</summary>
    public static void RequireOwnerOnly(string path, string what)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            throw new SealedStoreException(string.Create(CultureInfo.InvariantCulture,
                $"{what} {path} is accessible by group or others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); it must be 0600 or 0400"));
        }
    }
}
