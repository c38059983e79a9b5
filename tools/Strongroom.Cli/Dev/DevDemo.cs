using System.Text;
using Grpc.Core;
using Strongroom.Cli.Experimenter;
using Strongroom.Client;
using Strongroom.KeyLog;
using Strongroom.Operator;
using Strongroom.Stack;
using KeyAdminApi = Strongroom.KeyAdmin.V1;
using KeyServiceApi = Strongroom.KeyService.V1;
using RunnerApi = Strongroom.Runner.V1;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Cli.Dev;

/// <summary>
/// What `dev up` does once the stack is healthy (DESIGN §8): the operator creates the runner's keys,
/// hands out the log verifier key and registers client/demo; client/demo then runs the main job end
/// to end through the edge, once as a Strongroom HPKE request and once as a StudioML message,
/// verifying every result against its pinned key log before opening it.
/// </summary>
public static class DevDemo
{
    public const string RequestKey = RecipientKeys.DefaultRequestKeyName;

    public const string StudioMlKey = RecipientKeys.DefaultStudioMlKeyName;

    public const string DemoClient = "client/demo";

    public const string SentimentJob = "score-sentiment";

    public static string SentimentSample(DevLayout layout) => Path.Combine(layout.RepoRoot, "examples", "jobs", "samples", "sentiment-input.json");

    public static string StudioMlSample(DevLayout layout) => Path.Combine(layout.RepoRoot, "examples", "jobs", "samples", "studioml-request-1.json");

    public static async Task RunAsync(DevLayout layout, TextWriter output, CancellationToken cancellationToken)
    {
        var paths = new ClientFolder(layout.StateRoot, DemoClient);
        await PrepareAsOperatorAsync(layout, paths, output, cancellationToken);

        using (var session = StrongroomClient.Open(paths, layout.EdgeAddress))
        {
            var pinned = await session.PinAsync(cancellationToken);
            Step(output, $"{DemoClient} pinned the key-log checkpoint through the edge ({layout.EdgeAddress}): size {pinned.Size}, root {Convert.ToHexStringLower(pinned.RootHash)[..16]}…, signed by the log key in {paths.LogVerifierKeyFile}");

            await RunStrongroomAsync(session, await File.ReadAllBytesAsync(SentimentSample(layout), cancellationToken), output, cancellationToken);
            await RunStudioMlAsync(session, await File.ReadAllBytesAsync(StudioMlSample(layout), cancellationToken), output, cancellationToken);
        }

        output.WriteLine($"    stock JWS verifiers: curl --cacert {Path.Combine(layout.Pki, "ca.crt")} https://localhost:{layout.Port(ServiceSpec.StorageJwksDevPort)}/.well-known/jwks.json");

        Step(output, "operator/admin anchors every running service's audit-log head in the key log");
        var anchored = await Commands.AuditCommands.AnchorAsync(layout.Pki, "operator/admin", ServiceSpec.Storage.AdminAddress(layout), new PrefixWriter(output, "    "), TextWriter.Null, cancellationToken, layout.PortOffset);
        if (anchored != ExitCodes.Ok)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "anchoring the audit heads failed"));
        }
    }

    /// <summary>Keys, the log verifier key and client/demo's registration: all on admin listeners or storage directly, as operator/admin.</summary>
    private static async Task PrepareAsOperatorAsync(DevLayout layout, ClientFolder paths, TextWriter output, CancellationToken cancellationToken)
    {
        using var asOperator = new ServiceConnections(layout.Pki, "operator/admin");
        var admin = new KeyAdminApi.KeyAdmin.KeyAdminClient(asOperator.To(ServiceSpec.KeyService.AdminAddress(layout), "keyservice", TimeSpan.FromMinutes(2)));
        var storage = new StorageApi.Storage.StorageClient(asOperator.To(ServiceSpec.Storage.PublicAddress(layout), "storage"));

        Step(output, "operator/admin on the keyservice admin listener: " + await OperatorSetup.EnsureKeyAsync(admin, RequestKey, KeyAdminApi.KeyKind.X25519, cancellationToken));
        Step(output, "operator/admin on the keyservice admin listener: " + await OperatorSetup.EnsureKeyAsync(admin, StudioMlKey, KeyAdminApi.KeyKind.Rsa4096, cancellationToken));

        var logKey = await OperatorSetup.FetchLogKeyAsync(asOperator, ServiceSpec.Signer.AdminAddress(layout), paths.LogVerifierKeyFile, cancellationToken);
        Step(output, $"operator/admin read the key-log verifier key on the signer admin listener (kid {logKey.Kid}) and wrote it for clients to {paths.LogVerifierKeyFile}");
        output.WriteLine("    " + logKey.NoteVerifierKey);

        ClientIdentityKeys keys;
        if (File.Exists(Path.Combine(paths.Keys, ClientIdentityKeys.SigningKeyFile)))
        {
            keys = ClientIdentityKeys.Load(paths.Keys);
            Step(output, $"{DemoClient}'s keys exist in {paths.Keys}");
        }
        else
        {
            keys = ClientIdentityKeys.Generate();
            keys.Save(paths.Keys, DemoClient);
            Step(output, $"{DemoClient} generated its Ed25519 signing key and X25519 sealing key in {paths.Keys} (0600)");
        }

        using (keys)
        {
            output.WriteLine($"    signing kid {keys.SigningKid}, OpenSSH fingerprint {keys.OpenSshFingerprint}; sealing kid {keys.SealingKid}");
            using var operatorKey = layout.LoadOperatorKey();
            var (signingKid, sealingKid, already) = await OperatorSetup.RegisterAsync(storage, operatorKey, DemoClient, keys, cancellationToken);
            Step(output, already
                ? $"{DemoClient} is already registered with these keys"
                : $"operator/admin registered {DemoClient} at storage with a registration signed by the pinned operator key");

            var kids = new List<string> { signingKid, sealingKid };
            foreach (var name in new[] { RequestKey, StudioMlKey })
            {
                var key = (await admin.GetKeyAsync(new KeyAdminApi.GetKeyRequest { KeyName = name }, cancellationToken: cancellationToken)).Key;
                kids.AddRange(key.Versions.Where(v => v.Version == key.PrimaryVersion).Select(v => v.Kid));
            }

            foreach (var kid in kids)
            {
                await OperatorSetup.WaitPublishedAsync(storage, kid, cancellationToken);
            }

            var checkpoint = await OperatorSetup.CheckpointAsync(asOperator, ServiceSpec.Storage.AdminAddress(layout), cancellationToken);
            Step(output, $"the key log publishes both runner keys and {DemoClient}'s keys; checkpoint of size {checkpoint.TreeSize}");
        }
    }

    private static async Task RunStrongroomAsync(StrongroomClient session, byte[] input, TextWriter output, CancellationToken cancellationToken)
    {
        Step(output, $"[strongroom] {DemoClient} input for job {SentimentJob}: {Encoding.UTF8.GetString(input).Trim()}");
        var record = await session.SubmitAsync(JobRequest.Hpke(SentimentJob, input), cancellationToken);
        Step(output, $"[strongroom] fetched the runner's X25519 key through the edge and verified it in the pinned key log (kid {record.RecipientKid}, enabled, published by keyservice)");
        Step(output, $"[strongroom] encrypted the input with HPKE (X25519, HKDF-SHA256, ChaCha20-Poly1305) to {record.RecipientKid}, signed the envelope with {session.Keys.SigningKid}");
        Step(output, $"[strongroom] submitted through the edge: job {record.JobId}, request sha256 {Convert.ToHexStringLower(record.RequestSha256)}");
        await FinishAsync(session, record, "[strongroom]", output, cancellationToken);
    }

    private static async Task RunStudioMlAsync(StrongroomClient session, byte[] requestJson, TextWriter output, CancellationToken cancellationToken)
    {
        Step(output, $"[studioml] {DemoClient} StudioML request ({requestJson.Length} bytes of clear JSON)");
        var pem = (await session.Connection.KeyService.GetPublicKeyAsync(new KeyServiceApi.GetPublicKeyRequest { KeyName = StudioMlKey }, cancellationToken: cancellationToken)).PublicKey;
        Step(output, $"[studioml] fetched the runner's StudioML PKCS#1 PEM through the edge (kid {pem.Kid}; what StudioML clients pin)");
        var record = await session.SubmitAsync(JobRequest.StudioMl(requestJson), cancellationToken);
        Step(output, $"[studioml] verified {record.RecipientKid} in the pinned key log; sealed the request (RSA-OAEP-256 + XSalsa20-Poly1305) and signed the payload with fingerprint {session.Keys.OpenSshFingerprint}");
        Step(output, $"[studioml] submitted studioml_message through the edge: job {record.JobId}, request sha256 {Convert.ToHexStringLower(record.RequestSha256)}");
        await FinishAsync(session, record, "[studioml]", output, cancellationToken);
    }

    private static async Task FinishAsync(StrongroomClient session, SubmittedJob record, string tag, TextWriter output, CancellationToken cancellationToken)
    {
        var final = await session.WaitAsync(record.JobId, job => Step(output, $"{tag} job {record.JobId}: {Describe(job)}"), cancellationToken);
        if (final.Status != RunnerApi.JobStatus.Succeeded)
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"job {record.JobId} ended {final.Status}: {final.Reason}"));
        }

        var verified = await session.FetchVerifiedAsync(record, cancellationToken);
        Step(output, $"{tag} fetched result {record.JobId} through the edge ({verified.Document.OutputSize} sealed bytes) and verified it: JWS by signer key {verified.SignerKid} proven in the pinned key log, runner {verified.RunnerIdentity}, request digest matches, output digest matches");
        Step(output, $"{tag} opened the output sealed to {session.Keys.SealingKid}; exit code {verified.Document.ExitCode}:");
        foreach (var line in Encoding.UTF8.GetString(verified.Output ?? []).TrimEnd().Split('\n'))
        {
            output.WriteLine("    " + line);
        }
    }

    /// <summary>One line per status: what happened at the runner in that phase.</summary>
    public static string Describe(RunnerApi.Job job) => job.Status switch
    {
        RunnerApi.JobStatus.Queued => "QUEUED (runner verified signature, key log and replay before accepting)",
        RunnerApi.JobStatus.Running => "RUNNING (keyservice unwrapped the message key; the runner decrypts and executes in bubblewrap)",
        RunnerApi.JobStatus.Succeeded => $"SUCCEEDED (signer signed the result, storage stored it; exit code {job.ExitCode})",
        _ => $"{job.Status.ToString().ToUpperInvariant()}: {job.Reason}",
    };

    private static void Step(TextWriter output, string message) => output.WriteLine("==> " + message);
}
