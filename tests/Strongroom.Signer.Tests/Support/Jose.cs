using System.Diagnostics;
using System.Text.Json.Nodes;
using Strongroom.Testing;

namespace Strongroom.Signer.Tests.Support;

/// <summary>The `jose` npm package (a JOSE implementation no one here wrote), driven through tests/node/signer-jose-verify.mjs.</summary>
internal static class Jose
{
    public static void Require()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "node")));
        Requirements.Require(onPath, "node is not installed");
        Requirements.RequireNodePackage("jose");
    }

    /// <summary>Verifies with jose against the JWKS; returns (ok, output JSON or error).</summary>
    public static (bool Ok, JsonNode Output) Verify(string jwksJson, string jws, byte[]? detachedPayload = null)
    {
        var input = new JsonObject
        {
            ["jwks"] = JsonNode.Parse(jwksJson),
            ["jws"] = jws.TrimStart().StartsWith('{') ? JsonNode.Parse(jws) : jws,
        };
        if (detachedPayload is not null)
        {
            input["detachedPayload"] = Convert.ToHexStringLower(detachedPayload);
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "node", "signer-jose-verify.mjs"));
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input.ToJsonString());
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("node did not finish");
        }

        process.WaitForExit();
        var text = stdout.Result;
        Assert.False(string.IsNullOrWhiteSpace(text), "node wrote nothing: " + stderr.Result);
        return (process.ExitCode == 0, JsonNode.Parse(text)!);
    }
}
