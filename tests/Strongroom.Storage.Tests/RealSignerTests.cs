using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Strongroom.Crypto;
using Strongroom.Hosting;
using Strongroom.KeyLog;
using Strongroom.Kms.Extensions;
using Strongroom.Pki;
using Strongroom.Signer.Extensions;
using Strongroom.Storage.Extensions;
using Strongroom.Storage.V1;
using Strongroom.Testing;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;
using SignerApi = Strongroom.Signer.V1;
using Checkpoint = Strongroom.KeyLog.Checkpoint;

namespace Strongroom.Storage.Tests;

/// <summary>
/// kms, the real signer and storage, each as its Program.cs composes it on real Kestrel with real
/// mTLS: the signer publishes its keys to storage through its outbox, storage has the signer sign
/// checkpoints over gRPC (<see cref="Domain.GrpcCheckpointSigner"/>), and a client pins the log key
/// from SignerAdmin.GetLogKey, never from storage.
/// </summary>
public sealed class RealSignerStack : IAsyncLifetime
{
    public TestPki Pki { get; } = new();

    public WebApplication Kms { get; private set; } = null!;

    public WebApplication Signer { get; private set; } = null!;

    public WebApplication Storage { get; private set; } = null!;

    public int StoragePublic { get; } = Ports.Free();

    public int StorageAdmin { get; } = Ports.Free();

    public int SignerPublic { get; } = Ports.Free();

    public int SignerAdmin { get; } = Ports.Free();

    public string DatabasePath => Path.Combine(Pki.Root, "storage", "storage.db");

    public int StorageReadOnly { get; } = Ports.Free();

    public SignerApi.GetLogKeyResponse LogKey { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var kmsAdmin = Ports.Free();
        Kms = Build("kms", WorkloadIdentity.Kms, Ports.Free(), kmsAdmin, InProcessServices.LocalKmsSettings(Pki), b => b.AddKms(), a => a.MapKms());
        await Kms.StartAsync();

        Signer = Build("signer", WorkloadIdentity.Signer, SignerPublic, SignerAdmin, new()
        {
            ["Signer:KeyStorePath"] = Path.Combine(Pki.Root, "signer", "keys.db"),
            ["Signer:StatePath"] = Path.Combine(Pki.Root, "signer", "signer.db"),
            ["Signer:Deployment"] = StorageStackDeployment,
            ["Signer:Publishing:Address"] = $"https://127.0.0.1:{StoragePublic}",
            ["Signer:Publishing:RetryInterval"] = "00:00:01",
            ["KmsClient:Address"] = $"https://127.0.0.1:{kmsAdmin}",
        }, b => b.AddSigner(), a => a.MapSigner());
        await Signer.StartAsync();

        // The operator's copy of the log key, fetched from the signer's admin listener.
        var admin = new SignerApi.SignerAdmin.SignerAdminClient(Invoker(WorkloadIdentity.Operator("admin"), SignerAdmin, "signer"));
        for (var i = 0; ; i++)
        {
            try
            {
                LogKey = await admin.GetLogKeyAsync(new SignerApi.GetLogKeyRequest());
                break;
            }
            catch (RpcException) when (i < 300)
            {
                await Task.Delay(100);
            }
        }

        Storage = Build("storage", WorkloadIdentity.Storage, StoragePublic, StorageAdmin, new()
        {
            ["Storage:Deployment"] = StorageStackDeployment,
            ["Storage:SqlitePath"] = DatabasePath,
            ["Storage:ReadOnlyListener"] = $"127.0.0.1:{StorageReadOnly}",
            ["Storage:LogVerifierKey"] = LogKey.NoteVerifierKey,
            ["Storage:Signer:Address"] = $"https://127.0.0.1:{SignerPublic}",
        }, b => b.AddStorage(), a => a.MapStorage());
        await Storage.StartAsync();
    }

    public const string StorageStackDeployment = "test";

    private WebApplication Build(string service, WorkloadIdentity identity, int publicPort, int adminPort, Dictionary<string, string?> extra, Action<WebApplicationBuilder> add, Action<WebApplication> map) =>
        InProcessServices.Build(Pki, service, identity, publicPort, adminPort, extra, add, map);

    public CallInvoker Invoker(WorkloadIdentity identity, int port, string service) => InProcessServices.Invoker(Pki, identity, $"https://127.0.0.1:{port}", service);

    public async Task<Checkpoint> WaitForCheckpointAsync(long atLeast)
    {
        var verifier = NoteVerifierKey.Parse(LogKey.NoteVerifierKey);
        for (var i = 0; i < 300; i++)
        {
            try
            {
                var note = (await new V1.Storage.StorageClient(Invoker(WorkloadIdentity.Client("alice"), StoragePublic, "storage")).GetCheckpointAsync(new GetCheckpointRequest())).Checkpoint.Note;
                var checkpoint = Checkpoint.Verify(note, verifier, LogKey.Origin);
                if (checkpoint.Size >= atLeast)
                {
                    return checkpoint;
                }
            }
            catch (RpcException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no checkpoint of the expected size");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { Storage, Signer, Kms })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        Pki.Dispose();
    }
}

public sealed class RealSignerTests(RealSignerStack stack) : IClassFixture<RealSignerStack>
{
    private V1.Storage.StorageClient StorageAs(WorkloadIdentity identity) => new(stack.Invoker(identity, stack.StoragePublic, "storage"));

    [Fact]
    public async Task The_signer_publishes_its_keys_and_signs_checkpoints_a_client_verifies_with_the_pinned_log_key()
    {
        // The signer's results key and log key arrive through its outbox; the signer then signs the tree.
        var checkpoint = await stack.WaitForCheckpointAsync(2);
        Assert.Equal("strongroom/keylog/" + RealSignerStack.StorageStackDeployment, checkpoint.Origin);
        // LookupKey answers only for checkpointed entries: wait until the log key's entry is.
        LookupKeyResponse? logKey = null;
        for (var i = 0; i < 300 && logKey is null; i++)
        {
            try
            {
                logKey = await StorageAs(WorkloadIdentity.Client("alice")).LookupKeyAsync(new LookupKeyRequest { Kid = stack.LogKey.Kid });
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(V1.KeyKind.LogSigning, logKey!.Kind);

        // A result signed by the real signer is accepted, and verifies from storage's JWKS.
        var job = "job-real-" + Guid.NewGuid().ToString("N");
        var signer = new SignerApi.Signer.SignerClient(stack.Invoker(WorkloadIdentity.Runner, stack.SignerPublic, "signer"));
        var signed = await signer.SignAsync(new SignerApi.SignRequest
        {
            Payload = ByteString.CopyFromUtf8(new JsonObject { ["job_id"] = job, ["exit_status"] = 0 }.ToJsonString()),
        });
        var stored = await StorageAs(WorkloadIdentity.Runner).PutResultAsync(new PutResultRequest
        {
            JobId = job, OwnerIdentity = "client/alice", SignedResult = signed.Jws, Output = ByteString.CopyFromUtf8("ok"),
        });
        Assert.True(stored.Created);
        var jwks = JsonNode.Parse((await StorageAs(WorkloadIdentity.Client("alice")).GetJwksAsync(new GetJwksRequest())).JwksJson)!["keys"]!.AsArray();
        var jwk = jwks.Single(k => k!["kid"]!.GetValue<string>() == signed.Kid)!.ToJsonString();
        using var key = JsonWebKey.Parse(jwk);
        Assert.True(Jws.VerifyCompact(signed.Jws, key.ToEd25519PublicKey()).IsValid);

        // A config-typed JWS from the same signer is not a result.
        var config = await new SignerApi.Signer.SignerClient(stack.Invoker(WorkloadIdentity.Operator("admin"), stack.SignerPublic, "signer"))
            .SignAsync(new SignerApi.SignRequest { Payload = ByteString.CopyFromUtf8(new JsonObject { ["job_id"] = job + "-c" }.ToJsonString()) });
        var refused = await Assert.ThrowsAsync<RpcException>(() => StorageAs(WorkloadIdentity.Runner).PutResultAsync(new PutResultRequest
        {
            JobId = job + "-c", OwnerIdentity = "client/alice", SignedResult = config.Jws,
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
    }
}

/// <summary>In its own stack: it leaves storage's log forked for good.</summary>
public sealed class RealSignerForkTests(RealSignerStack stack) : IClassFixture<RealSignerStack>
{
    private V1.Storage.StorageClient StorageAs(WorkloadIdentity identity) => new(stack.Invoker(identity, stack.StoragePublic, "storage"));

    [Fact]
    public async Task The_real_signer_refuses_to_checkpoint_a_forked_log()
    {
        var pinned = await stack.WaitForCheckpointAsync(2);
        // Behind storage's back: rewrite entry 0 (a new, well-formed entry in its place).
        using var other = Ed25519KeyPair.Generate();
        var forged = new AliasBound { Time = 1, Alias = "forged", Kid = JsonWebKey.FromPublicKey(other.PublicKey).Thumbprint() }.ToCanonicalJson();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={stack.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE log_entries SET entry_json = $json WHERE idx = 0";
            command.Parameters.AddWithValue("$json", forged);
            await command.ExecuteNonQueryAsync();
        }

        var admin = new V1.StorageAdmin.StorageAdminClient(stack.Invoker(WorkloadIdentity.Operator("admin"), stack.StorageAdmin, "storage"));
        using var extra = X25519KeyPair.Generate();
        using var extraJwk = JsonWebKey.FromPublicKey(extra.PublicKey);
        await StorageAs(WorkloadIdentity.KeyService).PublishKeyAsync(new PublishKeyRequest
        {
            Kid = extraJwk.Thumbprint(), JwkJson = extraJwk.ToJson(), OwnerIdentity = "keyservice", Kind = V1.KeyKind.RequestDecryption, KeyName = "hpke", Version = 1,
        });
        var refused = await Assert.ThrowsAsync<RpcException>(() => admin.RequestCheckpointAsync(new RequestCheckpointRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);

        var signerLatest = (await new SignerApi.Signer.SignerClient(stack.Invoker(WorkloadIdentity.Client("alice"), stack.SignerPublic, "signer"))
            .GetLatestCheckpointAsync(new SignerApi.GetLatestCheckpointRequest())).Checkpoint;
        Assert.True((long)signerLatest.TreeSize >= pinned.Size);
        Assert.False((await admin.VerifyKeyLogAsync(new VerifyKeyLogRequest())).Consistent);
    }
}
