using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Strongroom.Pki;
using Strongroom.Runner.Tests.Support;
using Strongroom.Stack;
using Strongroom.Testing;

namespace Strongroom.Runner.Tests;

/// <summary>
/// The polyglot proof: examples/node/studioml-client.mjs, written from the protos and DESIGN §3.1/§3.4
/// alone (@grpc/grpc-js, @grpc/proto-loader, jose, tweetnacl, node:crypto), runs as a real process
/// against the real stack: it seals a StudioML message to keyservice's RSA key, submits it through the
/// edge with client/demo's mTLS certificate, watches the job and verifies the signed result with jose
/// against the JWKS. The .NET verifier then checks the same result against the exact bytes node sent.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class NodeClientTests(RunnerStack stack)
{
    private static string ExampleDir => Path.Combine(RepoPaths.Root, "examples", "node");

    [Fact]
    public async Task The_node_client_submits_a_studioml_request_through_the_edge_and_verifies_the_signed_result_with_jose()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "node")));
        Requirements.Require(onPath, "node is not installed");
        Requirements.Require(Directory.Exists(Path.Combine(ExampleDir, "node_modules")), "run npm ci in examples/node (npm ci --prefix examples/node)");

        var work = Directory.CreateTempSubdirectory("strongroom-node-client-");
        try
        {
            // A fresh experiment key, so the message is never a replay of another run's.
            var experiment = "node-" + Guid.NewGuid().ToString("N")[..12];
            var request = JsonNode.Parse(await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "request-1.json"), TestContext.Current.CancellationToken))!;
            request["experiment"]!["key"] = experiment;
            var requestFile = Path.Combine(work.FullName, "request.json");
            var messageFile = Path.Combine(work.FullName, "message.json");
            var summaryFile = Path.Combine(work.FullName, "summary.json");
            await File.WriteAllTextAsync(requestFile, request.ToJsonString(), TestContext.Current.CancellationToken);

            var pki = new PkiDirectory(stack.Layout.Pki);
            var demo = WorkloadIdentity.Client("demo");
            var (exit, stdout, stderr) = await RunNodeAsync(
                "studioml-client.mjs",
                "--edge", stack.Layout.EdgeAddress,
                "--ca", pki.TrustBundlePath,
                "--cert", pki.CertificatePath(demo),
                "--key", pki.KeyPath(demo),
                "--signing-key", RepoPaths.TestData("fixtures", "studioml", "client_signing"),
                "--request", requestFile,
                "--key-name", "studioml",
                "--message-out", messageFile,
                "--out", summaryFile,
                "--timeout", "120");
            Assert.True(exit == 0, $"node exited {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}\nstack:\n{stack.Log}");

            var summary = JsonNode.Parse(stdout.Trim().Split('\n')[^1])!;
            Assert.True(summary["verified"]!.GetValue<bool>());
            Assert.Equal("succeeded", summary["status"]!.GetValue<string>());
            Assert.Equal("spiffe://strongroom/runner", summary["runner"]!.GetValue<string>());
            Assert.Equal(stack.Demo.Identity, summary["owner"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(summary["kid"]!.GetValue<string>()));
            Assert.Equal(summary.ToJsonString(), JsonNode.Parse(await File.ReadAllTextAsync(summaryFile, TestContext.Current.CancellationToken))!.ToJsonString());
            var jobId = summary["job_id"]!.GetValue<string>();

            // The message node sent is a StudioML queue message naming the fixture key by its OpenSSH fingerprint.
            var message = await File.ReadAllBytesAsync(messageFile, TestContext.Current.CancellationToken);
            var sent = JsonNode.Parse(message)!["message"]!;
            Assert.Equal("SHA256:sHDarixfhH4buzqSnqbMa+5Pwyzo5Wkm7vNn8S9q0Go", sent["fingerprint"]!.GetValue<string>());
            Assert.Equal(experiment, sent["experiment"]!["key"]!.GetValue<string>());
            Assert.Single(sent["payload"]!.GetValue<string>().Split(',').Skip(1));

            // Independently from C#: the JWS against the JWKS, the digests against the exact bytes node
            // sent, and the sealed output opened with client/demo's sealing key; the job saw the request.
            var (document, output, _) = await stack.FetchVerifiedAsync(stack.Demo, jobId, SHA256.HashData(message));
            Assert.Equal("studioml", document.Format);
            Assert.Equal("succeeded", document.Status);
            Assert.Contains(experiment, Encoding.UTF8.GetString(output), StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_node_client_refuses_a_server_that_chains_to_the_ca_but_is_not_the_edge()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "node")));
        Requirements.Require(onPath, "node is not installed");
        Requirements.Require(Directory.Exists(Path.Combine(ExampleDir, "node_modules")), "run npm ci in examples/node (npm ci --prefix examples/node)");

        // storage's public listener: a valid certificate from the same CA, but spiffe://strongroom/storage.
        var pki = new PkiDirectory(stack.Layout.Pki);
        var demo = WorkloadIdentity.Client("demo");
        var (exit, stdout, stderr) = await RunNodeAsync(
            "studioml-client.mjs",
            "--edge", ServiceSpec.Storage.PublicAddress(stack.Layout),
            "--ca", pki.TrustBundlePath,
            "--cert", pki.CertificatePath(demo),
            "--key", pki.KeyPath(demo),
            "--signing-key", RepoPaths.TestData("fixtures", "studioml", "client_signing"),
            "--request", RepoPaths.TestData("fixtures", "studioml", "request-1.json"),
            "--timeout", "30");
        Assert.True(exit == 1, $"node exited {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.Equal("", stdout);
        Assert.Contains("FAILED: GetPublicKey: UNAVAILABLE", stderr, StringComparison.Ordinal);
        Assert.Contains("server certificate is not spiffe://strongroom/edge", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunNodeAsync(params string[] args)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ExampleDir,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
