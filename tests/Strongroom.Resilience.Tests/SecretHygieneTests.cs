using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Strongroom.Crypto;
using Strongroom.Operator;
using Strongroom.Requests;
using Strongroom.Resilience.Tests.Support;
using Strongroom.Runner.V1;
using Strongroom.Testing;

namespace Strongroom.Resilience.Tests;

/// <summary>
/// After jobs in both formats ran end to end, every byte the stack wrote — logs, the SQLite stores
/// with their -wal/-shm files, audit logs, the runner's work root, and /tmp/strongroom* entries
/// made during the run — is searched for every secret the test can know (raw, base64, base64url,
/// hex): the kms passphrase, the operator seed, the imported StudioML RSA key (PKCS#8, PKCS#1, d,
/// p, q), the clients' private keys, per-message data keys, and a marker in the jobs' clear input.
/// 0 hits outside the places those secrets legitimately live (listed in <see cref="Exclusions"/>).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class SecretHygieneTests(ResilienceStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Where a secret may legitimately be found, relative to the stack's state folder.</summary>
    private static readonly Dictionary<string, string[]> Exclusions = new(StringComparer.Ordinal)
    {
        // Given to kms alone (0600); the one place the passphrase lives.
        ["kms passphrase"] = ["secrets/kms-passphrase"],
        ["kms passphrase (decoded)"] = ["secrets/kms-passphrase"],

        // The dev operator's signing seed (0600), read by the CLI only.
        ["operator seed"] = ["secrets/operator-admin.ed25519"],
    };

    [Fact]
    public async Task No_private_key_data_key_passphrase_or_clear_input_is_written_anywhere_after_jobs_in_both_formats()
    {
        var marker = "hygiene-marker-" + Guid.NewGuid().ToString("N");
        var secrets = new List<(string Name, byte[] Bytes)>();

        // An HPKE job whose clear input carries the marker; its result's per-message HPKE key and nonce (the runner held them) are secrets too.
        var input = Encoding.UTF8.GetBytes(marker + "-hpke");
        var envelope = stack.Envelope(stack.Alice, "cat", input);
        var hpkeJob = (await stack.RunnerThroughEdge("alice").SubmitAsync(new SubmitRequest { Envelope = envelope }, cancellationToken: Ct)).JobId;
        var hpkeFinal = await stack.WaitFinalAsync("alice", hpkeJob, TimeSpan.FromMinutes(3));
        Assert.True(hpkeFinal.Status == JobStatus.Succeeded, $"{hpkeFinal.Status}: {hpkeFinal.Reason}");
        var (_, hpkeOutput, hpkeStored) = await stack.FetchVerifiedAsync(stack.Alice, hpkeJob, RequestDigest.OfEnvelope(envelope));
        Assert.Equal(input, hpkeOutput);
        using (var resultKeys = Hpke.DecapsulateMessageKeys(hpkeStored.OutputEnc.Span, stack.Alice.Sealing, Hpke.ResultInfo))
        {
            secrets.Add(("HPKE result data key", resultKeys.Key.ToArray()));
        }

        // A StudioML job (fixture RSA key, fixture client) with the marker in its experiment key; its message key K is a data key.
        var pem = await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "studioml_message.pem"), Ct);
        var pkcs8 = LegacyPem.ReadRsaPrivateKeyPkcs8(pem, ResilienceStack.FixturePassphrase());
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        var request = Encoding.UTF8.GetBytes((await File.ReadAllTextAsync(RepoPaths.TestData("fixtures", "studioml", "request-1.json"), Ct)).Replace("exp-0001", marker + "-studioml", StringComparison.Ordinal));
        var message = Strongroom.Client.RequestBuilder.BuildStudioMl(rsa, stack.Demo.Signing, request);
        var studioJob = (await stack.RunnerThroughEdge("demo").SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken: Ct)).JobId;
        var studioFinal = await stack.WaitFinalAsync("demo", studioJob, TimeSpan.FromMinutes(3));
        Assert.True(studioFinal.Status == JobStatus.Succeeded, $"{studioFinal.Status}: {studioFinal.Reason}");
        var (_, studioOutput, studioStored) = await stack.FetchVerifiedAsync(stack.Demo, studioJob, RequestDigest.OfStudioMl(message));
        Assert.Contains(marker, Encoding.UTF8.GetString(studioOutput), StringComparison.Ordinal);
        using (var json = System.Text.Json.JsonDocument.Parse(message))
        {
            var parts = StudioMlPayload.Parse(json.RootElement.GetProperty("message").GetProperty("payload").GetString()!);
            secrets.Add(("StudioML message key K", StudioMlPayload.UnwrapKey(rsa, parts.WrappedKey)));
        }

        using (var resultKeys = Hpke.DecapsulateMessageKeys(studioStored.OutputEnc.Span, stack.Demo.Sealing, Hpke.ResultInfo))
        {
            secrets.Add(("HPKE result data key (StudioML job)", resultKeys.Key.ToArray()));
        }

        // The imported application key: keyservice may hold it only KMS-wrapped.
        var parameters = rsa.ExportParameters(includePrivateParameters: true);
        secrets.Add(("StudioML RSA PKCS#8 DER", pkcs8));
        secrets.Add(("StudioML RSA PKCS#1 DER", rsa.ExportRSAPrivateKey()));
        secrets.Add(("StudioML RSA d", parameters.D!));
        secrets.Add(("StudioML RSA p", parameters.P!));
        secrets.Add(("StudioML RSA q", parameters.Q!));

        // The clients' private keys (generated by the test; never given to the stack).
        secrets.Add(("alice signing seed", stack.Alice.Signing.ExportSeed()));
        secrets.Add(("bob signing seed", stack.Bob.Signing.ExportSeed()));
        secrets.Add(("alice sealing key", stack.Alice.Sealing.ExportPrivateKey()));
        secrets.Add(("bob sealing key", stack.Bob.Sealing.ExportPrivateKey()));
        secrets.Add(("demo sealing key", stack.Demo.Sealing.ExportPrivateKey()));
        secrets.Add(("demo signing seed (fixture client_signing)", stack.Demo.Signing.ExportSeed()));

        // Operator and kms secrets.
        var passphrase = (await File.ReadAllTextAsync(stack.Layout.KmsPassphraseFile, Ct)).Trim();
        secrets.Add(("kms passphrase", Encoding.UTF8.GetBytes(passphrase)));
        secrets.Add(("kms passphrase (decoded)", Convert.FromBase64String(passphrase)));
        secrets.Add(("operator seed", Convert.FromBase64String((await File.ReadAllTextAsync(stack.Layout.OperatorKeyFile, Ct)).Trim())));

        // The clear input.
        secrets.Add(("clear input marker", Encoding.UTF8.GetBytes(marker)));

        // Let log writers flush.
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);

        var patterns = secrets.SelectMany(s => Encodings(s.Bytes).Select(e => (s.Name, e.Encoding, e.Bytes))).ToList();
        var roots = new List<string> { stack.State };
        roots.AddRange(Directory.EnumerateFileSystemEntries(Path.GetTempPath(), "strongroom*")
            .Where(p => !p.StartsWith(stack.State, StringComparison.Ordinal) && !stack.TempEntriesBefore.Contains(p) && SafeTime(p) >= stack.StartedAt));
        var scanned = 0;
        long bytes = 0;
        var hits = new List<string>();
        foreach (var file in roots.SelectMany(Files).Distinct(StringComparer.Ordinal))
        {
            var content = ReadShared(file);
            if (content is null)
            {
                continue;
            }

            scanned++;
            bytes += content.Length;
            var relative = file.StartsWith(stack.State + "/", StringComparison.Ordinal) ? file[(stack.State.Length + 1)..] : file;
            foreach (var (name, encoding, pattern) in patterns)
            {
                if (content.AsSpan().IndexOf(pattern) >= 0 && !(Exclusions.TryGetValue(name, out var allowed) && allowed.Contains(relative)))
                {
                    hits.Add($"{name} ({encoding}) in {relative}");
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"scanned {scanned} files ({bytes} bytes) for {secrets.Count} secrets in {patterns.Count} encodings");
        Assert.True(scanned > 10, $"only {scanned} files scanned");
        Assert.True(File.Exists(Path.Combine(stack.Layout.Data("keyservice"), "keys.db")), "keyservice's store was scanned");

        // Self-check: the scan finds what is there (the passphrase file holds the passphrase).
        Assert.Contains(patterns.Where(p => p.Name == "kms passphrase"), p => ReadShared(stack.Layout.KmsPassphraseFile)!.AsSpan().IndexOf(p.Bytes) >= 0);
        Assert.True(hits.Count == 0, $"{hits.Count} secret(s) on disk:\n" + string.Join("\n", hits));
    }

    private static IEnumerable<(string Encoding, byte[] Bytes)> Encodings(byte[] secret)
    {
        var b64 = Convert.ToBase64String(secret);
        yield return ("raw", secret);
        yield return ("base64", Encoding.ASCII.GetBytes(b64.TrimEnd('=')));
        yield return ("base64url", Encoding.ASCII.GetBytes(b64.TrimEnd('=').Replace('+', '-').Replace('/', '_')));
        yield return ("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret)));
        yield return ("HEX", Encoding.ASCII.GetBytes(Convert.ToHexString(secret)));
    }

    private static IEnumerable<string> Files(string root)
    {
        if (File.Exists(root))
        {
            return [root];
        }

        try
        {
            return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static byte[]? ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Deleted meanwhile (a job's working directory) or another user's.
            return null;
        }
    }

    private static DateTime SafeTime(string path)
    {
        try
        {
            return Directory.Exists(path) ? Directory.GetLastWriteTimeUtc(path) : File.GetLastWriteTimeUtc(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return DateTime.MinValue;
        }
    }
}
