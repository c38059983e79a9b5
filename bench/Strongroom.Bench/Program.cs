using Strongroom.Bench;
using Strongroom.Stack;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var repo = DevLayout.FindRepoRoot(AppContext.BaseDirectory);
await using var stack = new BenchStack(repo, options.ServicesConfiguration);
Console.WriteLine($"==> starting the stack ({stack.Layout.Configuration} builds, temp state, ports shifted by {stack.Layout.PortOffset}); service logs in {stack.Layout.Logs}");
try
{
    await stack.StartAsync(cancel.Token);
}
catch (Exception ex) when (ex is InvalidOperationException or Grpc.Core.RpcException)
{
    await Console.Error.WriteLineAsync("stack did not start: " + ex.Message);
    await Console.Error.WriteLineAsync(stack.Log);
    return 1;
}

var run = new Scenarios(stack, options, Console.Out);
var report = await run.RunAllAsync(cancel.Token);
var markdown = report.ToMarkdown();
Console.WriteLine();
Console.WriteLine(markdown);

var outDir = options.OutputDirectory ?? (options.Smoke ? Path.Combine(repo, "artifacts", "bench") : Path.Combine(repo, "bench", "results"));
Directory.CreateDirectory(outDir);
var file = Path.Combine(outDir, (options.Smoke ? "smoke-" : "") + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture) + ".md");
await File.WriteAllTextAsync(file, markdown);
Console.WriteLine("==> wrote " + file);
var json = Path.ChangeExtension(file, ".json");
await File.WriteAllTextAsync(json, report.ToJson());
Console.WriteLine("==> wrote " + json);

var problems = report.Problems();
foreach (var p in problems)
{
    await Console.Error.WriteLineAsync("PROBLEM: " + p);
}

if (options.Smoke)
{
    Console.WriteLine(problems.Count == 0 ? "bench smoke: every scenario produced numbers, zero errors" : $"bench smoke: {problems.Count} problem(s)");
}

return problems.Count == 0 ? 0 : 1;
