using Strongroom.Kms.Extensions;

namespace Strongroom.Kms.Tests;

/// <summary>Configuration validation and operator-command parsing, without touching a store.</summary>
public sealed class OptionsAndCommandTests
{
    [Fact]
    public void The_default_configuration_needs_only_a_passphrase_file()
    {
        var problems = KmsOptionsValidator.Problems(new KmsOptions()).ToList();
        var fine = KmsOptionsValidator.Problems(new KmsOptions { PassphraseFile = "/run/secrets/kms" });

        Assert.Contains(problems, p => p.Contains("PassphraseFile", StringComparison.Ordinal));
        Assert.Empty(fine);
    }

    [Theory]
    [InlineData("01:00:00", false, "Kms:DefaultDestroyGrace")]
    [InlineData("121.00:00:00", true, "Kms:DefaultDestroyGrace")]
    public void A_default_destroy_grace_outside_the_bounds_is_refused(string grace, bool allowZero, string expected)
    {
        var options = new KmsOptions { PassphraseFile = "p", DefaultDestroyGrace = TimeSpan.Parse(grace, System.Globalization.CultureInfo.InvariantCulture), AllowZeroDestroyGrace = allowZero };

        Assert.Contains(KmsOptionsValidator.Problems(options), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("projects/p/locations/l/keyRings/r", "edge", "only keyservice or signer")]
    [InlineData("projects/p/locations/l/keyRings/r", "operator/alice", "only keyservice or signer")]
    [InlineData("projects/p/keyRings/r", "keyservice", "is not a key ring name")]
    public void A_key_ring_binding_must_name_a_ring_and_a_key_holding_service(string ring, string identity, string expected)
    {
        var options = new KmsOptions { PassphraseFile = "p", KeyRingBindings = { [ring] = identity } };

        Assert.Contains(KmsOptionsValidator.Problems(options), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "reseal", "--store", "s", "--passphrase-file" }, "option --passphrase-file needs a value")]
    [InlineData(new[] { "restore", "--backup", "b", "--bogus", "x" }, "unknown option '--bogus'")]
    [InlineData(new[] { "init", "--store", "a", "--store", "b", "--passphrase-file", "p" }, "option --store given twice")]
    [InlineData(new[] { "init", "--store", "a" }, "missing --passphrase-file")]
    public void Malformed_operator_commands_exit_2_with_the_problem_and_the_usage(string[] args, string expected)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = OperatorCommands.Run(args, output, error);

        Assert.Equal(OperatorCommands.Usage, exit);
        Assert.Contains(expected, error.ToString());
        Assert.Contains("usage: dotnet Strongroom.Kms.dll", error.ToString());
    }

    [Fact]
    public void An_argon2_cost_below_the_minimum_is_refused_before_anything_is_written()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var store = Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N"));

        var exit = OperatorCommands.Run(["init", "--store", store, "--passphrase-file", "p", "--argon2-iterations", "2"], output, error);

        Assert.Equal(OperatorCommands.Failed, exit);
        Assert.Contains("iterations 2 is below the minimum 3", error.ToString());
        Assert.False(File.Exists(store));
    }

    [Fact]
    public void Only_the_command_names_dispatch_to_operator_commands()
    {
        Assert.True(OperatorCommands.IsCommand(["reseal"]));
        Assert.True(OperatorCommands.IsCommand(["help"]));
        Assert.False(OperatorCommands.IsCommand([]));
        Assert.False(OperatorCommands.IsCommand(["--Kms:StorePath=x"]));
    }
}
