using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Hosting;
using Strongroom.KeyPublishing;
using Strongroom.Kms.Extensions;
using Strongroom.Pki;
using Strongroom.Signer.Domain;
using Strongroom.Signer.Extensions;
using Strongroom.Testing;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;
using Api = Strongroom.Signer.V1;

namespace Strongroom.Signer.Tests.Support;

/// <summary>
/// kms and signer as their Program.cs compose them, each on real Kestrel at 127.0.0.1 with real mTLS
/// certificates and their own appsettings.json policy tables; the signer talks to the kms over mTLS
/// through its admin listener. Storage is not running: publications wait in the outbox (see
/// <see cref="FakeStorage"/> for the tests that deliver them). The signer's clock can be moved
/// forward, so "before the destroy" and "after" are whole seconds apart. One stack per test class.
/// </summary>
public class SignerStack : IAsyncLifetime
{
    private int _signerPublicPort;
    private int _signerAdminPort;

    public TestPki Pki { get; } = new();

    public string Root => Pki.Root;

    public ShiftedClock Clock { get; } = new();

    public WebApplication Kms { get; private set; } = null!;

    public WebApplication Signer { get; private set; } = null!;

    public string KmsAdmin { get; private set; } = "";

    public string SignerPublic => $"https://127.0.0.1:{_signerPublicPort}";

    public string SignerAdmin => $"https://127.0.0.1:{_signerAdminPort}";

    /// <summary>Where the signer publishes to; nothing listens there unless a test starts <see cref="FakeStorage"/>.</summary>
    public int StoragePort { get; } = Ports.Free();

    public string StatePath => Path.Combine(Root, "signer", "signer.db");

    public SignerState State => Signer.Services.GetRequiredService<SignerState>();

    public KeyOutbox Outbox => Signer.Services.GetRequiredService<KeyOutbox>();

    public async ValueTask InitializeAsync()
    {
        var (kmsPublic, kmsAdmin) = (Ports.Free(), Ports.Free());
        Kms = Build("kms", WorkloadIdentity.Kms, kmsPublic, kmsAdmin, InProcessServices.LocalKmsSettings(Pki), b => b.AddKms(), a => a.MapKms());
        await Kms.StartAsync();
        KmsAdmin = $"https://127.0.0.1:{kmsAdmin}";

        (_signerPublicPort, _signerAdminPort) = (Ports.Free(), Ports.Free());
        await StartSignerAsync();
    }

    /// <summary>Stops the signer and starts a new one on the same stores and ports (a restart).</summary>
    public async Task RestartSignerAsync()
    {
        await Signer.StopAsync();
        await Signer.DisposeAsync();
        await StartSignerAsync();
    }

    private async Task StartSignerAsync()
    {
        Signer = Build("signer", WorkloadIdentity.Signer, _signerPublicPort, _signerAdminPort, new()
        {
            ["Signer:KeyStorePath"] = Path.Combine(Root, "signer", "keys.db"),
            ["Signer:StatePath"] = StatePath,
            ["Signer:Deployment"] = "test",
            ["Signer:MaxPayloadBytes"] = "65536",
            ["Signer:Custody:AllowZeroDestroyGrace"] = "true",
            // Development: destruction happens at once, so a test sees DESTROYED right away.
            ["Signer:Custody:DefaultDestroyGrace"] = "00:00:00",
            ["Signer:Publishing:Address"] = $"https://127.0.0.1:{StoragePort}",
            ["Signer:Publishing:RetryInterval"] = "00:00:01",
            ["Signer:Publishing:Deadline"] = "00:00:05",
            ["KmsClient:Address"] = KmsAdmin,
        }, b =>
        {
            b.AddSigner();
            b.Services.AddSingleton<TimeProvider>(Clock);
        }, a => a.MapSigner());
        await Signer.StartAsync();
        await WaitForDefaultKeysAsync();
    }

    /// <summary>The sweeper creates the default and log keys on start; wait until both have a primary version.</summary>
    private async Task WaitForDefaultKeysAsync()
    {
        var keys = Signer.Services.GetRequiredService<SigningKeySet>();
        await keys.EnsureKeysAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var ready = await keys.Custodian.ListKeysAsync(CancellationToken.None);
            if (ready.Count(k => k.Name is "results" or "keylog" && k.PrimaryVersion > 0) == 2)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the signer's default keys were not created");
            }

            await Task.Delay(50);
        }
    }

    public WebApplication Build(string service, WorkloadIdentity identity, int publicPort, int? adminPort, Dictionary<string, string?> extra,
        Action<WebApplicationBuilder> add, Action<WebApplication> map, bool useServiceSettings = true) =>
        InProcessServices.Build(Pki, service, identity, publicPort, adminPort, extra, add, map, useServiceSettings);

    /// <summary>A call invoker presenting <paramref name="identity"/>'s certificate and expecting <paramref name="service"/>.</summary>
    public CallInvoker Invoker(WorkloadIdentity identity, string address, string service = "signer") => InProcessServices.Invoker(Pki, identity, address, service);

    public Api.Signer.SignerClient Public(WorkloadIdentity identity) => new(Invoker(identity, SignerPublic));

    public Api.Signer.SignerClient Runner => Public(WorkloadIdentity.Runner);

    /// <summary>KeyAdmin, the shared key lifecycle API, on the signer's admin listener.</summary>
    public KeyAdmin.V1.KeyAdmin.KeyAdminClient Admin(WorkloadIdentity? identity = null) =>
        new(Invoker(identity ?? WorkloadIdentity.Operator("admin"), SignerAdmin));

    /// <summary>The signer's own admin method (the log key) on the same listener.</summary>
    public Api.SignerAdmin.SignerAdminClient LogKeyAdmin(WorkloadIdentity? identity = null) =>
        new(Invoker(identity ?? WorkloadIdentity.Operator("admin"), SignerAdmin));

    public async ValueTask DisposeAsync()
    {
        await Signer.StopAsync();
        await Signer.DisposeAsync();
        await Kms.StopAsync();
        await Kms.DisposeAsync();
        Pki.Dispose();
        GC.SuppressFinalize(this);
    }
}
