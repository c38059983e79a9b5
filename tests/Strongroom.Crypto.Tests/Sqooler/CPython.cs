using System.Text.Json;
using System.Text.Json.Nodes;
using Strongroom.Crypto.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Crypto.Tests.Sqooler;

/// <summary>CPython's own answers, from tests/python/json_dumps.py (standard library only).</summary>
internal static class CPython
{
    /// <summary>One answer per (mode, text) request: the output, or null with the error Python raised.</summary>
    public static (string? Out, string? Error)[] Ask(IReadOnlyList<(string Mode, string Text)> requests)
    {
        Requirements.Require(ExternalProcess.IsOnPath("python3"), "python3 is not installed");
        var input = new JsonArray();
        foreach ((string mode, string text) in requests)
        {
            input.Add(new JsonArray(mode, text));
        }

        string script = Path.Combine(RepoPaths.Root, "tests", "python", "json_dumps.py");
        (int exitCode, string stdout, string stderr) = ExternalProcess.Run("python3", [script], input.ToJsonString());
        Assert.True(exitCode == 0, "python3 json_dumps.py failed: " + stderr);
        using JsonDocument answers = JsonDocument.Parse(stdout);
        Assert.Equal(requests.Count, answers.RootElement.GetArrayLength());
        return [.. answers.RootElement.EnumerateArray().Select(answer =>
            answer.TryGetProperty("out", out JsonElement output)
                ? (output.GetString(), (string?)null)
                : ((string?)null, answer.GetProperty("error").GetString()))];
    }

    /// <summary>json.dumps(json.loads(text)) for each document; fails the test if Python refuses one.</summary>
    public static string[] Dumps(IReadOnlyList<string> documents) =>
        [.. Ask([.. documents.Select(d => ("dumps", d))]).Select((a, i) => a.Out ?? throw new InvalidOperationException("CPython refused document " + i + ": " + a.Error))];
}
