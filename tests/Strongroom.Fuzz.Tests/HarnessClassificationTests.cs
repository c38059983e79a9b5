using Strongroom.Crypto;
using Strongroom.Fuzz;

namespace Strongroom.Fuzz.Tests;

/// <summary>Negative self-checks: the harness must call a crash a crash, and only documented rejections clean.</summary>
public sealed class HarnessClassificationTests
{
    /// <summary>A parser with a planted bug: NullReferenceException on "boom", CryptoException on "bad".</summary>
    private static readonly FuzzTarget Planted = new(
        "planted",
        "a target with a planted NullReferenceException",
        "CryptoException",
        e => e is CryptoException,
        (t, input) => t.Parse(() => PlantedParser(System.Text.Encoding.ASCII.GetString(input))));

    [Fact]
    public void A_null_reference_exception_is_reported_as_a_crash()
    {
        var outcome = FuzzHarness.Execute(Planted, "boom"u8.ToArray());
        Assert.True(outcome.IsCrash);
        Assert.IsType<NullReferenceException>(outcome.Crash);
    }

    [Fact]
    public void A_documented_rejection_is_clean()
    {
        Assert.False(FuzzHarness.Execute(Planted, "bad"u8.ToArray()).IsCrash);
        Assert.False(FuzzHarness.Execute(Planted, "fine"u8.ToArray()).IsCrash);
    }

    [Fact]
    public void The_mutation_pass_finds_the_planted_crash()
    {
        var mutator = new Mutator(3, ["boo"u8.ToArray(), "boom!"u8.ToArray(), "bad"u8.ToArray()]);
        bool found = Enumerable.Range(0, 2000).Any(_ => FuzzHarness.Execute(Planted, mutator.Next()).IsCrash);
        Assert.True(found);
    }

    [Theory]
    [InlineData(typeof(IndexOutOfRangeException))]
    [InlineData(typeof(OverflowException))]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ArgumentOutOfRangeException))]
    [InlineData(typeof(InvalidCastException))]
    public void Undocumented_exceptions_are_crashes_in_every_target(Type exceptionType)
    {
        var exception = (Exception)Activator.CreateInstance(exceptionType)!;
        Assert.All(Targets.All, t => Assert.False(t.IsCleanRejection(exception), $"{t.Name} treats {exceptionType.Name} as clean"));
    }

    [Fact]
    public void Only_invalid_argument_counts_among_service_errors()
    {
        var kms = Targets.Find("kms")!;
        Assert.True(kms.IsCleanRejection(Strongroom.Core.StrongroomException.InvalidArgument("name", "bad")));
        Assert.False(kms.IsCleanRejection(Strongroom.Core.StrongroomException.FailedPrecondition("no")));
    }

    private static string PlantedParser(string text)
    {
        string? missing = text == "boom" ? null : text;
        if (text == "bad")
        {
            _ = JsonWebKey.Parse("not json");
        }

        return missing!.Trim();
    }
}
