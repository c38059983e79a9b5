using System.Globalization;
using SharpFuzz;
using Strongroom.Fuzz;

// Strongroom.Fuzz TARGET                       run under afl-fuzz (SharpFuzz, out of process); see fuzz/run.sh
// Strongroom.Fuzz --list                       the targets and what counts as a clean rejection
// Strongroom.Fuzz --replay TARGET PATH...      run files (or every file under directories) in-process; exit 1 on a crash
// Strongroom.Fuzz --mutate TARGET SECONDS DIR  deterministic mutation pass over a corpus directory (no AFL++ needed)
// Strongroom.Fuzz --seeds DIR                  writes the generated seeds (envelope, kms) into DIR/<target>/
if (args.Length == 0)
{
    await Console.Error.WriteLineAsync("usage: Strongroom.Fuzz TARGET | --list | --replay TARGET PATH... | --mutate TARGET SECONDS CORPUSDIR | --seeds DIR");
    return 2;
}

switch (args[0])
{
    case "--list":
        foreach (var t in Targets.All)
        {
            Console.WriteLine($"{t.Name,-16} {t.Description}\n{string.Empty,-16} clean: {t.CleanRejections}");
        }

        return 0;
    case "--replay" when args.Length >= 3:
        {
            var target = Require(args[1]);
            int crashes = 0, count = 0;
            foreach (var file in args.Skip(2).SelectMany(Files))
            {
                count++;
                var outcome = FuzzHarness.Execute(target, File.ReadAllBytes(file));
                if (outcome.IsCrash)
                {
                    crashes++;
                    Console.WriteLine($"CRASH {file}: {outcome.Crash}");
                }
            }

            Console.WriteLine($"{target.Name}: {count} inputs, {crashes} crashes");
            return crashes == 0 ? 0 : 1;
        }

    case "--mutate" when args.Length == 4:
        {
            var target = Require(args[1]);
            var deadline = DateTime.UtcNow.AddSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
            var corpus = Files(args[3]).Select(File.ReadAllBytes).ToList();
            var mutator = new Mutator(seed: 1, corpus);
            long execs = 0, crashes = 0;
            var findings = Path.Combine("fuzz", "findings", target.Name, "mutate");
            while (DateTime.UtcNow < deadline)
            {
                byte[] input = mutator.Next();
                execs++;
                var outcome = FuzzHarness.Execute(target, input);
                if (outcome.IsCrash)
                {
                    crashes++;
                    Directory.CreateDirectory(findings);
                    string file = Path.Combine(findings, $"crash-{execs:D8}");
                    await File.WriteAllBytesAsync(file, input);
                    Console.WriteLine($"CRASH -> {file}: {outcome.Crash!.GetType().FullName}: {outcome.Crash.Message}");
                }
            }

            Console.WriteLine($"{target.Name}: {execs} execs, {crashes} crashes");
            return crashes == 0 ? 0 : 1;
        }

    case "--seeds" when args.Length == 2:
        Seeds.Write(args[1]);
        return 0;
    default:
        {
            var target = Require(args[0]);
            // AFL++ runs this under its fork server; SharpFuzz restarts the child process on a crash
            // (and survives stack overflows that in-process fuzzing could not).
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                target.Run(buffer.ToArray());
            });
            return 0;
        }
}

static FuzzTarget Require(string name) =>
    Targets.Find(name) ?? throw new ArgumentException($"unknown target '{name}'; --list shows them", nameof(name));

static IEnumerable<string> Files(string path) =>
    Directory.Exists(path)
        ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
        : [path];
