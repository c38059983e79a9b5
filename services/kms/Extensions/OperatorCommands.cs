using System.Globalization;
using Strongroom.Kms.Storage;

namespace Strongroom.Kms.Extensions;

/// <summary>
/// Offline operator commands on the kms binary (<c>dotnet Strongroom.Kms.dll COMMAND --option value …</c>):
/// argument parsing only; the work is in <see cref="StoreMaintenance"/>. Exit codes: 0 done,
/// 1 refused or failed (one line on stderr, no stack trace), 2 usage error.
/// </summary>
public static class OperatorCommands
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    private static readonly Dictionary<string, (string[] Required, string[] Optional, string Summary)> Commands = new(StringComparer.Ordinal)
    {
        ["init"] = (["--store", "--passphrase-file"], ArgonOptions, "create an empty store sealed under the passphrase"),
        ["reseal"] = (["--store", "--passphrase-file", "--new-passphrase-file"], ArgonOptions, "rotate the passphrase: re-seal the store under a new one"),
        ["backup"] = (["--store", "--passphrase-file", "--out", "--backup-passphrase-file"], ArgonOptions, "write an encrypted backup of the store"),
        ["restore"] = (["--backup", "--backup-passphrase-file", "--store", "--passphrase-file"], [.. ArgonOptions, "--force"], "restore a backup into a store (resurrects KEK versions destroyed since the backup)"),
        ["inspect"] = (["--store", "--passphrase-file"], [], "check the passphrase and count what the store holds"),
    };

    private static string[] ArgonOptions => ["--argon2-memory-kib", "--argon2-iterations"];

    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (Commands.ContainsKey(args[0]) || args[0] is "help" or "--help" or "-h");

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var name = args[0];
        if (!Commands.TryGetValue(name, out var spec))
        {
            PrintUsage(output);
            return Ok;
        }

        if (!TryParse(args.AsSpan(1), spec.Required, spec.Optional, out var values, out var problem))
        {
            error.WriteLine($"kms {name}: {problem}");
            PrintUsage(error);
            return Usage;
        }

        try
        {
            var settings = ArgonSettings(values);
            switch (name)
            {
                case "init":
                    StoreMaintenance.Initialize(values["--store"], values["--passphrase-file"], settings);
                    output.WriteLine($"created kms store {Path.GetFullPath(values["--store"])}");
                    break;
                case "reseal":
                    Report(output, "re-sealed under the new passphrase", StoreMaintenance.Reseal(values["--store"], values["--passphrase-file"], values["--new-passphrase-file"], settings));
                    output.WriteLine("the old passphrase no longer opens this store; old copies of the file (snapshots, backups) still open with it");
                    break;
                case "backup":
                    Report(output, $"backup written to {Path.GetFullPath(values["--out"])}", StoreMaintenance.Backup(values["--store"], values["--passphrase-file"], values["--out"], values["--backup-passphrase-file"], settings));
                    break;
                case "restore":
                    Report(output, $"restored into {Path.GetFullPath(values["--store"])}", StoreMaintenance.Restore(values["--backup"], values["--backup-passphrase-file"], values["--store"], values["--passphrase-file"], values.ContainsKey("--force"), settings));
                    output.WriteLine("WARNING: every KEK version destroyed after this backup was taken is usable again; destroy those versions again (see docs/kms.md)");
                    break;
                default:
                    Report(output, "store opens", StoreMaintenance.Inspect(values["--store"], values["--passphrase-file"]));
                    break;
            }

            return Ok;
        }
        catch (Exception ex) when (ex is SealedStoreException or IOException or UnauthorizedAccessException or FormatException)
        {
            error.WriteLine($"kms {name}: {ex.Message}");
            return Failed;
        }
    }

    private static void Report(TextWriter output, string what, StoreSummary summary) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {summary.KeyRings} key rings, {summary.CryptoKeys} crypto keys, {summary.Versions} versions ({summary.DestroyedVersions} destroyed)"));

    private static Argon2Settings? ArgonSettings(Dictionary<string, string> values)
    {
        var hasMemory = values.TryGetValue("--argon2-memory-kib", out var memory);
        var hasIterations = values.TryGetValue("--argon2-iterations", out var iterations);
        if (!hasMemory && !hasIterations)
        {
            return null;
        }

        var settings = new Argon2Settings(
            hasMemory ? uint.Parse(memory!, NumberStyles.None, CultureInfo.InvariantCulture) : Argon2Settings.Default.MemoryKiB,
            hasIterations ? uint.Parse(iterations!, NumberStyles.None, CultureInfo.InvariantCulture) : Argon2Settings.Default.Iterations);
        SealedFileFormat.Validate(settings, "requested Argon2id settings");
        return settings;
    }

    private static bool TryParse(ReadOnlySpan<string> args, string[] required, string[] optional, out Dictionary<string, string> values, out string problem)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var option = args[i];
            if (option == "--force" && optional.Contains(option))
            {
                values[option] = "true";
                continue;
            }

            if (!required.Contains(option) && !optional.Contains(option))
            {
                problem = $"unknown option '{option}'";
                return false;
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                problem = $"option {option} needs a value";
                return false;
            }

            if (!values.TryAdd(option, args[++i]))
            {
                problem = $"option {option} given twice";
                return false;
            }
        }

        var parsed = values;
        var missing = required.Where(r => !parsed.ContainsKey(r)).ToList();
        problem = missing.Count > 0 ? "missing " + string.Join(", ", missing) : "";
        return missing.Count == 0;
    }

    private static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("usage: dotnet Strongroom.Kms.dll [COMMAND --option value ...]   (no command: run the service)");
        foreach (var (name, spec) in Commands)
        {
            var optional = spec.Optional.Select(o => o == "--force" ? "[--force]" : $"[{o} N]");
            writer.WriteLine($"  {name,-8} {string.Join(' ', spec.Required.Select(r => r + " FILE").Concat(optional))}");
            writer.WriteLine($"           {spec.Summary}");
        }
    }
}
