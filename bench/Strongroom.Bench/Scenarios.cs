using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Bench.V1;
using Strongroom.Crypto;
using Strongroom.Requests;
using Strongroom.Runner.V1;
using Strongroom.Stack;
using KeyServiceApi = Strongroom.KeyService.V1;
using SignerApi = Strongroom.Signer.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Bench;

/// <summary>Every scenario beside its baseline, back to back in the same run, on the same stack.</summary>
internal sealed class Scenarios
{
    private const int StreamBatch = 64;

    private readonly BenchStack _stack;
    private readonly BenchOptions _o;
    private readonly TextWriter _output;
    private readonly Report _report;
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(256);
    private readonly byte[] _input = Encoding.UTF8.GetBytes("{\"bench\":true}\n");
    private readonly Bench.V1.Bench.BenchClient[] _benchAsClient;
    private readonly Bench.V1.Bench.BenchClient[] _benchAsRunner;
    private readonly Bench.V1.Bench.BenchClient[] _benchViaEdge;
    private readonly KeyServiceApi.KeyService.KeyServiceClient[] _keyServiceViaEdge;
    private readonly Runner.V1.Runner.RunnerClient[] _runnerViaEdge;
    private readonly StorageApi.Storage.StorageClient[] _storageViaEdge;
    private readonly SignerApi.Signer.SignerClient[] _signerAsRunner;
    private readonly byte[] _studioMlRequest;
    private long _jobsSubmitted;
    private string? _lastJobId;

    public Scenarios(BenchStack stack, BenchOptions options, TextWriter output)
    {
        _stack = stack;
        _o = options;
        _output = output;
        _report = new Report(options);
        var layout = stack.Layout;
        _studioMlRequest = File.ReadAllBytes(Path.Combine(layout.RepoRoot, "examples", "jobs", "samples", "studioml-request-1.json"));
        var m = options.Connections;
        _benchAsClient = [.. stack.Invokers("client/bench", stack.BaselineAddress, BenchStack.BaselineIdentity, m).Select(i => new Bench.V1.Bench.BenchClient(i))];
        _benchAsRunner = [.. stack.Invokers("runner", stack.BaselineAddress, BenchStack.BaselineIdentity, m).Select(i => new Bench.V1.Bench.BenchClient(i))];
        var edge = stack.Invokers("client/bench", layout.EdgeAddress, "edge", m);
        _keyServiceViaEdge = [.. edge.Select(i => new KeyServiceApi.KeyService.KeyServiceClient(i))];
        _benchViaEdge = [.. edge.Select(i => new Bench.V1.Bench.BenchClient(i))];
        _runnerViaEdge = [.. edge.Select(i => new Runner.V1.Runner.RunnerClient(i))];
        _storageViaEdge = [.. edge.Select(i => new StorageApi.Storage.StorageClient(i))];
        _signerAsRunner = [.. stack.Invokers("runner", ServiceSpec.Signer.PublicAddress(layout), "signer", m).Select(i => new SignerApi.Signer.SignerClient(i))];
    }

    public async Task<Report> RunAllAsync(CancellationToken ct)
    {
        var kmsBefore = _stack.AuditCount("kms", "Decrypt");
        var wanted = new HashSet<string>(_o.Scenarios, StringComparer.Ordinal);
        var decryptOnly = false;
        foreach (var id in BenchOptions.AllScenarios.Where(wanted.Contains))
        {
            _output.WriteLine($"==> scenario {id}");
            if (id is "hpke" or "studioml" && !decryptOnly)
            {
                // From here on the runner opens each job and ends it without running it (Bench:DecryptOnly).
                await _stack.RestartRunnerAsync(decryptOnly: true, ct);
                decryptOnly = true;
            }

            switch (id)
            {
                case "empty":
                    await PairAsync("empty", "bench Empty through the edge (client certificate → edge → bench server)", "bench Empty, direct, client certificate", "report", null,
                        Measure("Empty via edge", EmptyViaEdge), Measure("Empty direct", EmptyAsClient), ct);
                    await PairAsync("getpublickey", "cheapest client-facing call through the edge (keyservice GetPublicKey)", "bench Empty through the same edge", "report", null,
                        Measure("GetPublicKey via edge", GetPublicKeyViaEdge), Measure("Empty via edge", EmptyViaEdge), ct);
                    break;
                case "sign":
                    await PairAsync("sign", "Sign (unary), runner certificate → signer", "bench Empty, runner certificate, direct (same path shape)", "≥ 0.60", null,
                        Measure("Sign unary", SignUnary), Measure("Empty as runner", EmptyAsRunner), ct);
                    break;
                case "signbatch":
                    await PairAsync("signbatch", $"SignBatch, {StreamBatch} payloads per call, runner certificate → signer (signatures/s)", $"raw in-process NSec Ed25519 signing, {_o.Concurrency} threads on the same cores (signatures/s)", "≥ 0.50", null,
                        Measure("SignBatch", SignBatch), RawEd25519(), ct);
                    break;
                case "signstream":
                    await PairAsync("signstream", $"SignStream, {StreamBatch} requests per stream, runner certificate → signer (signatures/s)", $"raw in-process NSec Ed25519 signing, {_o.Concurrency} threads on the same cores (signatures/s)", "report (the ≥ 0.50 row is SignBatch)", null,
                        Measure("SignStream", SignStream), RawEd25519(), ct);
                    break;
                case "primitives":
                    await BaselineOnlyAsync(RawRsaDecrypt(), ct);
                    await BaselineOnlyAsync(RawHpkeOpen(), ct);
                    await BaselineOnlyAsync(RawEd25519(), ct);
                    break;
                case "fullpath":
                    await FullPathAsync(ct);
                    break;
                case "hpke":
                    await PairAsync("hpke", "HPKE submit → decrypted through the edge (runner in decrypt-only mode: keyservice Decapsulate, plaintext opened in the runner, no job started)", "bench Empty through the same edge", "≥ 0.40",
                        "each caller submits, then watches its job until the runner reports it decrypted (WatchJob); jobs/s",
                        Measure("HPKE submit→decrypted", SubmitAndWaitDecrypted), Measure("Empty via edge", EmptyViaEdge), ct);
                    break;
                case "studioml":
                    await PairAsync("studioml", "StudioML submit → decrypted through the edge (runner in decrypt-only mode: keyservice RSA-4096 unwrap, plaintext opened in the runner, no job started)", $"raw in-process RSA-4096 OAEP decrypt, {_o.Concurrency} threads on the same cores", "≥ 0.85",
                        "each caller submits, then watches its job until the runner reports it decrypted (WatchJob); jobs/s",
                        Measure("StudioML submit→decrypted", StudioMlAndWaitDecrypted), RawRsaDecrypt(), ct);
                    break;
                case "submit":
                    await PairAsync("submit", "Submit accepted (durable), HPKE envelope, through the edge", "bench Commit (one fsync'd SQLite insert) through the same edge", "≥ 0.70",
                        decryptOnly ? "the accepted jobs are then drained by the runner in decrypt-only mode" : "the accepted jobs then run",
                        Measure("Submit accepted", SubmitOnly), Measure("Commit via edge", CommitViaEdge), ct);
                    break;
                case "kms":
                    await KmsAsync(kmsBefore, decryptOnly, ct);
                    break;
            }
        }

        return _report;
    }

    private Func<int, CancellationToken, Task<Measurement>> Measure(string name, Load.Operation operation) =>
        (concurrency, ct) => Load.RunAsync(name, concurrency, _o.Warmup, RoundDuration, operation, ct);

    /// <summary>Each pair's measured time is split over its rounds.</summary>
    private TimeSpan RoundDuration => _o.Duration / _o.Rounds;

    private async Task PairAsync(string id, string scenario, string baseline, string target, string? note,
        Func<int, CancellationToken, Task<Measurement>> measureScenario, Func<int, CancellationToken, Task<Measurement>> measureBaseline, CancellationToken ct)
    {
        var pids = Pids();
        foreach (var pid in pids.Values)
        {
            Memory.ResetPeak(pid);
        }

        // Baseline and scenario alternate in short rounds (A/B/A/B…), so drift in what else the
        // machine is doing falls on both instead of on whichever ran second.
        var baselineRounds = new List<Measurement>();
        var scenarioRounds = new List<Measurement>();
        for (var round = 0; round < _o.Rounds; round++)
        {
            var b1 = await measureBaseline(_o.Concurrency, ct);
            Print(b1);
            baselineRounds.Add(b1);
            var s1 = await measureScenario(_o.Concurrency, ct);
            Print(s1);
            scenarioRounds.Add(s1);
        }

        var b = Measurement.Combine(baselineRounds);
        var s = Measurement.Combine(scenarioRounds);
        var memory = pids.ToDictionary(p => p.Key, p => Memory.PeakMiB(p.Value), StringComparer.Ordinal);
        _report.Pairs.Add(new PairResult(id, scenario, baseline, target, note, s, b, memory));
    }

    private async Task BaselineOnlyAsync(Func<int, CancellationToken, Task<Measurement>> measure, CancellationToken ct)
    {
        var rounds = new List<Measurement>();
        for (var round = 0; round < _o.Rounds; round++)
        {
            var r = await measure(Environment.ProcessorCount, ct);
            Print(r);
            rounds.Add(r);
        }

        _report.Primitives.Add(Measurement.Combine(rounds));
    }

    private void Print(Measurement m) =>
        _output.WriteLine($"    {m.Name}: {Measurement.F(m.PerSecond)}/s, p50 {Measurement.F(m.P50Ms, "0.00")} ms, p99 {Measurement.F(m.P99Ms, "0.00")} ms, {m.Operations} ops, {m.Errors} errors{(m.FirstError is null ? "" : " (" + m.FirstError + ")")}");

    private Dictionary<string, int> Pids() => _stack.Pids();

    private async Task<int> EmptyAsClient(int caller, CancellationToken ct)
    {
        await _benchAsClient[caller % _benchAsClient.Length].EmptyAsync(new EmptyRequest(), cancellationToken: ct);
        return 1;
    }

    private async Task<int> EmptyAsRunner(int caller, CancellationToken ct)
    {
        await _benchAsRunner[caller % _benchAsRunner.Length].EmptyAsync(new EmptyRequest(), cancellationToken: ct);
        return 1;
    }

    private async Task<int> EmptyViaEdge(int caller, CancellationToken ct)
    {
        await _benchViaEdge[caller % _benchViaEdge.Length].EmptyAsync(new EmptyRequest(), cancellationToken: ct);
        return 1;
    }

    private async Task<int> CommitViaEdge(int caller, CancellationToken ct)
    {
        await _benchViaEdge[caller % _benchViaEdge.Length].CommitAsync(new CommitRequest { Payload = ByteString.CopyFrom(_payload) }, cancellationToken: ct);
        return 1;
    }

    private async Task<int> GetPublicKeyViaEdge(int caller, CancellationToken ct)
    {
        await _keyServiceViaEdge[caller % _keyServiceViaEdge.Length].GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = "requests" }, cancellationToken: ct);
        return 1;
    }

    private async Task<int> SignUnary(int caller, CancellationToken ct)
    {
        await _signerAsRunner[caller % _signerAsRunner.Length].SignAsync(new SignerApi.SignRequest { Payload = ByteString.CopyFrom(_payload) }, cancellationToken: ct);
        return 1;
    }

    private async Task<int> SignBatch(int caller, CancellationToken ct)
    {
        var request = new SignerApi.SignBatchRequest();
        var payload = ByteString.CopyFrom(_payload);
        for (var i = 0; i < StreamBatch; i++)
        {
            request.Payloads.Add(payload);
        }

        var response = await _signerAsRunner[caller % _signerAsRunner.Length].SignBatchAsync(request, cancellationToken: ct);
        return response.Jws.Count == StreamBatch ? StreamBatch : throw new InvalidOperationException($"SignBatch answered {response.Jws.Count} of {StreamBatch}");
    }

    private async Task<int> SignStream(int caller, CancellationToken ct)
    {
        using var call = _signerAsRunner[caller % _signerAsRunner.Length].SignStream(cancellationToken: ct);
        for (var i = 0; i < StreamBatch; i++)
        {
            await call.RequestStream.WriteAsync(new SignerApi.SignStreamRequest { Sequence = (ulong)i, Request = new SignerApi.SignRequest { Payload = ByteString.CopyFrom(_payload) } }, ct);
        }

        await call.RequestStream.CompleteAsync();
        var received = 0;
        await foreach (var _ in call.ResponseStream.ReadAllAsync(ct))
        {
            received++;
        }

        return received == StreamBatch ? received : throw new InvalidOperationException($"SignStream answered {received} of {StreamBatch}");
    }

    private async Task<SubmitResponse> SubmitAsync(int caller, CancellationToken ct)
    {
        var response = await _runnerViaEdge[caller % _runnerViaEdge.Length].SubmitAsync(new SubmitRequest { Envelope = _stack.Envelope(_input) }, cancellationToken: ct);
        Interlocked.Increment(ref _jobsSubmitted);
        Volatile.Write(ref _lastJobId, response.JobId);
        return response;
    }

    private async Task<int> SubmitOnly(int caller, CancellationToken ct)
    {
        await SubmitAsync(caller, ct);
        return 1;
    }

    private async Task<int> SubmitAndWait(int caller, CancellationToken ct)
    {
        var accepted = await SubmitAsync(caller, ct);
        await WaitSucceededAsync(caller, accepted.JobId, ct);
        return 1;
    }

    private async Task<int> SubmitAndWaitDecrypted(int caller, CancellationToken ct)
    {
        var accepted = await SubmitAsync(caller, ct);
        await WaitDecryptedAsync(caller, accepted.JobId, ct);
        return 1;
    }

    private async Task<int> StudioMlAndWaitDecrypted(int caller, CancellationToken ct)
    {
        var message = Strongroom.Client.RequestBuilder.BuildStudioMl(_stack.StudioMlKey, _stack.Client.Signing, _studioMlRequest);
        var accepted = await _runnerViaEdge[caller % _runnerViaEdge.Length].SubmitAsync(new SubmitRequest { StudiomlMessage = ByteString.CopyFrom(message) }, cancellationToken: ct);
        Interlocked.Increment(ref _jobsSubmitted);
        Volatile.Write(ref _lastJobId, accepted.JobId);
        await WaitDecryptedAsync(caller, accepted.JobId, ct);
        return 1;
    }

    /// <summary>The runner's reason for a job its decrypt-only mode opened (DecryptOnlySandbox.Reason in bench/Strongroom.Bench.Runner).</summary>
    private const string DecryptedReason = "benchmark decrypt-only mode: the request was decrypted and not run";

    private Task<Job> WaitSucceededAsync(int caller, string jobId, CancellationToken ct) =>
        WaitEndAsync(caller, jobId, j => j.Status == JobStatus.Succeeded, ct);

    private Task<Job> WaitDecryptedAsync(int caller, string jobId, CancellationToken ct) =>
        WaitEndAsync(caller, jobId, j => j.Status == JobStatus.Cancelled && j.Reason == DecryptedReason, ct);

    private static bool IsTerminal(Job job) => job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Rejected or JobStatus.Cancelled;

    /// <summary>Watches a job until it ends; an end other than <paramref name="expected"/> is an error.</summary>
    private async Task<Job> WaitEndAsync(int caller, string jobId, Func<Job, bool> expected, CancellationToken ct)
    {
        using var call = _runnerViaEdge[caller % _runnerViaEdge.Length].WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: ct);
        await foreach (var update in call.ResponseStream.ReadAllAsync(ct))
        {
            if (expected(update.Job))
            {
                return update.Job;
            }

            if (IsTerminal(update.Job))
            {
                throw new InvalidOperationException($"job {jobId} ended {update.Job.Status}: {update.Job.Reason}");
            }
        }

        throw new InvalidOperationException($"job {jobId}: the watch ended before the job did");
    }

    private Func<int, CancellationToken, Task<Measurement>> RawEd25519() => async (threads, ct) =>
    {
        var keys = Enumerable.Range(0, threads).Select(_ => Ed25519KeyPair.Generate()).ToArray();
        try
        {
            return await Load.RunInProcessAsync("raw Ed25519 sign (NSec)", threads, _o.Warmup, RoundDuration, i => keys[i].Sign(_payload), ct);
        }
        finally
        {
            foreach (var k in keys)
            {
                k.Dispose();
            }
        }
    };

    private Func<int, CancellationToken, Task<Measurement>> RawRsaDecrypt() => async (threads, ct) =>
    {
        using var key = RSA.Create(4096);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        var keys = Enumerable.Range(0, threads).Select(_ => RSA.Create(parameters)).ToArray();
        var ciphertext = key.Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA256);
        try
        {
            return await Load.RunInProcessAsync("raw RSA-4096 OAEP-SHA256 decrypt", threads, _o.Warmup, RoundDuration, i => keys[i].Decrypt(ciphertext, RSAEncryptionPadding.OaepSHA256), ct);
        }
        finally
        {
            foreach (var k in keys)
            {
                k.Dispose();
            }
        }
    };

    private Func<int, CancellationToken, Task<Measurement>> RawHpkeOpen() => async (threads, ct) =>
    {
        using var recipient = X25519KeyPair.Generate();
        var aad = RandomNumberGenerator.GetBytes(120);
        var sealedMessage = Hpke.Seal(recipient.PublicKey, Hpke.RequestInfo, aad, _input);
        return await Load.RunInProcessAsync("raw HPKE open (X25519, HKDF-SHA256, ChaCha20-Poly1305)", threads, _o.Warmup, RoundDuration,
            _ => Hpke.Open(recipient, sealedMessage.EncapsulatedKey, Hpke.RequestInfo, aad, sealedMessage.Ciphertext), ct);
    };

    /// <summary>One caller: submit → SUCCEEDED → GetResult → verified and opened; then each part alone.</summary>
    private async Task FullPathAsync(CancellationToken ct)
    {
        var jwks = (await _storageViaEdge[0].GetJwksAsync(new StorageApi.GetJwksRequest(), cancellationToken: ct)).JwksJson;
        var keys = ParseJwks(jwks);
        StorageApi.Result? lastStored = null;
        string? lastJob = null;
        var phases = new List<double[]>();

        async Task<int> Full(int caller, CancellationToken token)
        {
            var t0 = Stopwatch.GetTimestamp();
            var accepted = await SubmitAsync(caller, token);
            var t1 = Stopwatch.GetTimestamp();
            await WaitSucceededAsync(caller, accepted.JobId, token);
            var t2 = Stopwatch.GetTimestamp();
            var stored = (await _storageViaEdge[caller % _storageViaEdge.Length].GetResultAsync(new StorageApi.GetResultRequest { JobId = accepted.JobId }, cancellationToken: token)).Result;
            var t3 = Stopwatch.GetTimestamp();
            Verify(stored, accepted.JobId, keys);
            var t4 = Stopwatch.GetTimestamp();
            lastStored = stored;
            lastJob = accepted.JobId;
            lock (phases)
            {
                phases.Add([Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t3, t4)]);
            }

            return 1;
        }

        var pids = Pids();
        foreach (var pid in pids.Values)
        {
            Memory.ResetPeak(pid);
        }

        var full = await Load.RunAsync("full path", 1, _o.Warmup, _o.Duration, Full, ct);
        Print(full);
        if (lastStored is null || lastJob is null)
        {
            _report.Pairs.Add(new PairResult("fullpath", "full path", "sum of the parts measured alone", "report", "no full-path iteration completed", full, full, new Dictionary<string, double>(StringComparer.Ordinal)));
            return;
        }

        var submit = await Load.RunAsync("part: Submit accepted", 1, _o.Warmup, _o.Duration / 2, SubmitOnly, ct);
        var sign = await Load.RunAsync("part: Sign unary (runner → signer)", 1, _o.Warmup, _o.Duration / 2, SignUnary, ct);
        var fetch = await Load.RunAsync("part: GetResult through the edge", 1, _o.Warmup, _o.Duration / 2, async (c, token) =>
        {
            await _storageViaEdge[c % _storageViaEdge.Length].GetResultAsync(new StorageApi.GetResultRequest { JobId = lastJob }, cancellationToken: token);
            return 1;
        }, ct);
        var verify = await Load.RunInProcessAsync("part: verify JWS + digests + open", 1, _o.Warmup, _o.Duration / 2, _ => Verify(lastStored, lastJob, keys), ct);
        foreach (var m in new[] { submit, sign, fetch, verify })
        {
            Print(m);
        }

        var sumP50 = submit.P50Ms + sign.P50Ms + fetch.P50Ms + verify.P50Ms;
        var sumP99 = submit.P99Ms + sign.P99Ms + fetch.P99Ms + verify.P99Ms;
        var sum = new Measurement("sum of parts (Submit + Sign + GetResult + verify, p50s)", 1, submit.Errors + sign.Errors + fetch.Errors + verify.Errors,
            TimeSpan.FromMilliseconds(sumP50), sumP50, sumP99, submit.DriverCpuShare, submit.FirstError ?? sign.FirstError ?? fetch.FirstError ?? verify.FirstError);
        var memory = pids.ToDictionary(p => p.Key, p => Memory.PeakMiB(p.Value), StringComparer.Ordinal);
        _report.Pairs.Add(new PairResult("fullpath", "full path: submit → executed (/bin/true) → signed → stored → fetched + verified, one caller", "sum of the parts measured alone, one caller each", "report",
            "ratio = sum of part p50s / full-path p50: the rest is the runner's queue poll, keyservice unwrap, sandbox start and storage put",
            full, sum, memory));
        double[] Column(int i) => [.. phases.Select(p => p[i]).Order()];
        _report.FullPathPhases.AddRange(
        [
            ("submit accepted", Load.Percentile(Column(0), 0.5), Load.Percentile(Column(0), 0.99)),
            ("accepted → SUCCEEDED (WatchJob)", Load.Percentile(Column(1), 0.5), Load.Percentile(Column(1), 0.99)),
            ("GetResult through the edge", Load.Percentile(Column(2), 0.5), Load.Percentile(Column(2), 0.99)),
            ("verify JWS + digests + open", Load.Percentile(Column(3), 0.5), Load.Percentile(Column(3), 0.99)),
        ]);
        _report.FullPathParts.AddRange([submit, sign, fetch, verify]);

        static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
    }

    private static Dictionary<string, Ed25519PublicKey> ParseJwks(string jwks)
    {
        var keys = new Dictionary<string, Ed25519PublicKey>(StringComparer.Ordinal);
        using var set = JsonDocument.Parse(jwks);
        foreach (var k in set.RootElement.GetProperty("keys").EnumerateArray())
        {
            using var jwk = JsonWebKey.Parse(k.GetRawText());
            if (jwk.Kid is { } kid && jwk.Crv == "Ed25519")
            {
                keys[kid] = jwk.ToEd25519PublicKey();
            }
        }

        return keys;
    }

    private void Verify(StorageApi.Result stored, string jobId, Dictionary<string, Ed25519PublicKey> keys)
    {
        var verified = Jws.VerifyCompact(stored.SignedResult, kid => kid is not null && keys.TryGetValue(kid, out var key) ? key : null);
        if (!verified.IsValid)
        {
            throw new InvalidOperationException("result JWS did not verify: " + verified.Status);
        }

        var document = ResultDocument.Parse(verified.Payload);
        if (document.JobId != jobId || !SHA256.HashData(stored.Output.Span).AsSpan().SequenceEqual(document.OutputSha256))
        {
            throw new InvalidOperationException("result document does not match the stored output");
        }

        _ = Hpke.Open(_stack.Client.Sealing, stored.OutputEnc.Span, Hpke.ResultInfo, Encoding.UTF8.GetBytes(jobId), stored.Output.Span);
    }

    /// <summary>Waits until the last accepted job ended, then counts kms Decrypt calls over every message of the run.</summary>
    private async Task KmsAsync(int kmsBefore, bool decryptOnly, CancellationToken ct)
    {
        var drain = Stopwatch.StartNew();
        var last = Volatile.Read(ref _lastJobId);
        if (last is null)
        {
            await (decryptOnly ? SubmitAndWaitDecrypted(0, ct) : SubmitAndWait(0, ct));
            last = _lastJobId!;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_o.Smoke ? TimeSpan.FromSeconds(120) : TimeSpan.FromMinutes(15));
        var drained = true;
        try
        {
            // Jobs are leased oldest first, so the last one accepted ends last.
            await (decryptOnly ? WaitDecryptedAsync(0, last, timeout.Token) : WaitSucceededAsync(0, last, timeout.Token));
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or InvalidOperationException)
        {
            drained = false;
            _output.WriteLine("    queue did not drain: " + ex.Message);
        }

        drain.Stop();
        var calls = _stack.AuditCount("kms", "Decrypt") - kmsBefore;
        var messages = Interlocked.Read(ref _jobsSubmitted);
        _report.Kms = new KmsResult(messages, calls, KeyVersionsUsed: _o.Scenarios.Contains("studioml") ? 3 : 2, drain.Elapsed, drained);
        _output.WriteLine($"    {messages} messages, {calls} kms Decrypt calls; queue drained in {Measurement.F(drain.Elapsed.TotalSeconds)} s");
    }
}
