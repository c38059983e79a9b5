using System.Diagnostics;
using Strongroom.Fuzz;

namespace Strongroom.Fuzz.Tests;

/// <summary>
/// The CI fuzz pass: a deterministic mutation run (fixed seed, fixed count) over each target's
/// checked-in corpus. Same inputs on every run, so a failure reproduces; the count is bounded so the
/// whole pass stays within about 30 s on a shared machine.
/// </summary>
public sealed class MutationPassTests
{
    /// <summary>Inputs per target; ten targets × this stays around the 30 s budget.</summary>
    private const int InputsPerTarget = 5000;

    /// <summary>The legacy PEM import runs BouncyCastle's key checks (~80 ms per input): fewer inputs.</summary>
    private static readonly Dictionary<string, int> InputsFor = new(StringComparer.Ordinal) { ["pem"] = 200 };

    /// <summary>Far above any parser's cost; a single input this slow is a hang, reported as a crash.</summary>
    private static readonly TimeSpan HangThreshold = TimeSpan.FromSeconds(5);

    [Theory]
    [MemberData(nameof(FuzzInputs.TargetNames), MemberType = typeof(FuzzInputs))]
    public void Mutated_corpus_inputs_are_accepted_or_cleanly_rejected(string targetName)
    {
        var target = Targets.Find(targetName)!;
        var corpus = FuzzInputs.Files(FuzzInputs.CorpusRoot, targetName).Select(File.ReadAllBytes).ToList();
        var mutator = new Mutator(seed: StableSeed(targetName), corpus);
        var failures = new List<string>();
        var open = new SortedSet<string>(StringComparer.Ordinal);
        int count = InputsFor.GetValueOrDefault(targetName, InputsPerTarget);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < count && failures.Count < 5; i++)
        {
            byte[] input = mutator.Next();
            var outcome = FuzzHarness.Execute(target, input);
            if (KnownOpenFindings.Match(outcome) is { } reason)
            {
                open.Add(reason);
            }
            else if (outcome.IsCrash)
            {
                failures.Add($"input #{i} (base64 {Convert.ToBase64String(input)}): {outcome.Crash!.GetType().FullName}: {outcome.Crash.Message}\n{outcome.Crash.StackTrace}");
            }
            else if (outcome.Elapsed > HangThreshold)
            {
                failures.Add($"input #{i} (base64 {Convert.ToBase64String(input)}): took {outcome.Elapsed.TotalSeconds:F1} s (hang)");
            }
        }

        TestContext.Current.SendDiagnosticMessage($"{targetName}: {count} mutated inputs in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        if (open.Count > 0)
        {
            Assert.Skip("only crashes already reported and open (fuzz/regressions):\n" + string.Join("\n", open));
        }
    }

    [Fact]
    public void The_mutator_is_deterministic()
    {
        byte[][] corpus = ["{\"a\":1}"u8.ToArray(), "ssh-ed25519 AAAA x"u8.ToArray()];
        var first = new Mutator(7, corpus);
        var second = new Mutator(7, corpus);
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(first.Next(), second.Next());
        }
    }

    /// <summary>A seed from the name that does not depend on string.GetHashCode's per-process randomization.</summary>
    private static int StableSeed(string name) => name.Aggregate(17, (h, c) => unchecked((h * 31) + c));
}
