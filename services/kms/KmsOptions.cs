using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Strongroom.Kms.Domain;
using Strongroom.Pki;

namespace Strongroom.Kms;

/// <summary>The <c>Kms</c> configuration section.</summary>
public sealed class KmsOptions
{
    public const string SectionName = "Kms";

    /// <summary>The sealed store (KEKs at rest). Relative paths resolve against the working directory.</summary>
    [Required]
    public string StorePath { get; set; } = "kms.store";

    /// <summary>File holding the operator passphrase; must not be readable by group or others. Given to kms alone.</summary>
    [Required]
    public string PassphraseFile { get; set; } = "";

    /// <summary>
    /// Create an empty store when <see cref="StorePath"/> does not exist. Off by default: a missing
    /// store in production is a wrong mount, and silently starting empty would hide it
    /// (use the <c>init</c> command instead).
    /// </summary>
    public bool CreateStoreIfMissing { get; set; }

    /// <summary>Development only: allow crypto keys with a destroy grace below 24 hours, down to 0.</summary>
    public bool AllowZeroDestroyGrace { get; set; }

    /// <summary>Destroy grace for keys created without one (Cloud KMS's default, 30 days).</summary>
    public TimeSpan DefaultDestroyGrace { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often scheduled destructions are swept in the background (they are also swept before every call).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Key ring resource name → the service identity (keyservice or signer) that alone owns it.</summary>
    public Dictionary<string, string> KeyRingBindings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Page size for List calls that do not set one; larger requests are capped at <see cref="MaxPageSize"/>.</summary>
    [Range(1, 1000)]
    public int DefaultPageSize { get; set; } = 100;

    [Range(1, 1000)]
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>The domain's settings; call after validation.</summary>
    public KeyManagerSettings ToSettings() => new()
    {
        AllowZeroDestroyGrace = AllowZeroDestroyGrace,
        DefaultDestroyGrace = DefaultDestroyGrace,
        KeyRingBindings = KeyRingBindings.ToDictionary(b => b.Key, b => WorkloadIdentity.ParseShort(b.Value), StringComparer.Ordinal),
        DefaultPageSize = DefaultPageSize,
        MaxPageSize = MaxPageSize,
    };
}

/// <summary>Checks what data annotations cannot: grace bounds, ring names, and that rings bind to key-holding services only.</summary>
public sealed class KmsOptionsValidator : IValidateOptions<KmsOptions>
{
    private static readonly string[] KeyHolders = ["keyservice", "signer"];

    public ValidateOptionsResult Validate(string? name, KmsOptions options)
    {
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IEnumerable<string> Problems(KmsOptions options)
    {
        var context = new ValidationContext(options);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, context, results, validateAllProperties: true))
        {
            foreach (var r in results)
            {
                yield return "Kms: " + r.ErrorMessage;
            }
        }

        var minimum = options.AllowZeroDestroyGrace ? TimeSpan.Zero : KeyManagerSettings.MinDestroyGrace;
        if (options.DefaultDestroyGrace < minimum || options.DefaultDestroyGrace > KeyManagerSettings.MaxDestroyGrace)
        {
            yield return "Kms:DefaultDestroyGrace must be between 24 hours (0 with Kms:AllowZeroDestroyGrace) and 120 days";
        }

        if (options.SweepInterval <= TimeSpan.Zero)
        {
            yield return "Kms:SweepInterval must be positive";
        }

        if (options.DefaultPageSize > options.MaxPageSize)
        {
            yield return "Kms:DefaultPageSize must not exceed Kms:MaxPageSize";
        }

        foreach (var (ring, identity) in options.KeyRingBindings)
        {
            if (!IsKeyRingName(ring))
            {
                yield return $"Kms:KeyRingBindings: '{ring}' is not a key ring name (projects/{{p}}/locations/{{l}}/keyRings/{{r}})";
            }

            if (!KeyHolders.Contains(identity, StringComparer.Ordinal))
            {
                yield return $"Kms:KeyRingBindings: '{ring}' is bound to '{identity}'; only keyservice or signer may own a key ring";
            }
        }
    }

    private static bool IsKeyRingName(string value)
    {
        try
        {
            ResourceNames.ParseKeyRing("Kms:KeyRingBindings", value);
            return true;
        }
        catch (Core.StrongroomException)
        {
            return false;
        }
    }
}
