using Google.Cloud.Kms.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strongroom.Hosting;
using Strongroom.KeyCustody;
using Strongroom.KeyService.Extensions;
using Strongroom.KeyService.V1;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Extensions;
using Strongroom.Pki;
using Strongroom.Testing;
using Strongroom.Transport.Channels;
using Strongroom.Transport.Tls;

namespace Strongroom.KeyService.Tests.Support;

/// <summary>
/// kms and keyservice as their Program.cs compose them, each on real Kestrel at 127.0.0.1 with real
/// mTLS certificates, their policy tables read from their own appsettings.json; keyservice talks to
/// the kms over mTLS through its admin listener. One stack per test class.
/// </summary>
public sealed class KeyServiceStack : IAsyncLifetime
{
    private readonly int? _storagePort;
    private int _ksPublic;
    private int _ksAdmin;

    /// <summary>Key publishing off: no storage is running for these tests.</summary>
    public KeyServiceStack()
    {
    }

    /// <summary>keyservice publishes its keys to a storage listening on <paramref name="storagePort"/> (started or not).</summary>
    internal KeyServiceStack(int storagePort) => _storagePort = storagePort;

    public TestPki Pki { get; } = new();

    public string Root => Pki.Root;

    public WebApplication Kms { get; private set; } = null!;

    public WebApplication KeyService { get; private set; } = null!;

    public string KmsAdmin { get; private set; } = "";

    public string KeyServicePublic { get; private set; } = "";

    public string KeyServiceAdmin { get; private set; } = "";

    public string StorePath => Path.Combine(Root, "keyservice", "keys.db");

    public PlaintextSizeRecorder KmsPlaintextSizes => Kms.Services.GetRequiredService<PlaintextSizeRecorder>();

    public KeyCustodian Custodian => KeyService.Services.GetRequiredService<KeyCustodian>();

    public async ValueTask InitializeAsync()
    {
        var (kmsPublic, kmsAdmin) = (Ports.Free(), Ports.Free());
        Kms = InProcessServices.Build(Pki, "kms", WorkloadIdentity.Kms, kmsPublic, kmsAdmin, InProcessServices.LocalKmsSettings(Pki), b => b.AddKms(), a => a.MapKms());
        await Kms.StartAsync();
        KmsAdmin = $"https://127.0.0.1:{kmsAdmin}";

        (_ksPublic, _ksAdmin) = (Ports.Free(), Ports.Free());
        await StartKeyServiceAsync();
    }

    /// <summary>Stops keyservice and starts it again on the same ports and the same files.</summary>
    public async Task RestartKeyServiceAsync()
    {
        await KeyService.StopAsync();
        await KeyService.DisposeAsync();
        await StartKeyServiceAsync();
    }

    private async Task StartKeyServiceAsync()
    {
        var (ksPublic, ksAdmin) = (_ksPublic, _ksAdmin);
        KeyService = InProcessServices.Build(Pki, "keyservice", WorkloadIdentity.KeyService, ksPublic, ksAdmin, new Dictionary<string, string?>
        {
            ["KeyService:StorePath"] = StorePath,
            ["KeyService:Custody:AllowZeroDestroyGrace"] = "true",
            // Development: destruction happens at once, so a test can search the store right after.
            ["KeyService:Custody:DefaultDestroyGrace"] = "00:00:00",
            ["KmsClient:Address"] = KmsAdmin,
            ["KeyService:Publishing:Enabled"] = _storagePort is null ? "false" : "true",
            ["KeyService:Publishing:Address"] = $"https://127.0.0.1:{_storagePort ?? 0}",
            ["KeyService:Publishing:RetryInterval"] = "00:00:01",
            ["KeyService:Publishing:Deadline"] = "00:00:05",
            ["KeyService:KeyLog:Address"] = $"https://127.0.0.1:{_storagePort ?? 0}",
            ["KeyService:KeyLog:Deadline"] = "00:00:10",
        }, b => b.AddKeyService(), a => a.MapKeyService());
        await KeyService.StartAsync();
        KeyServicePublic = $"https://127.0.0.1:{ksPublic}";
        KeyServiceAdmin = $"https://127.0.0.1:{ksAdmin}";
    }

    /// <summary>A call invoker presenting <paramref name="identity"/>'s certificate and expecting <paramref name="service"/>.</summary>
    public CallInvoker Invoker(WorkloadIdentity identity, string address, string service = "keyservice") => InProcessServices.Invoker(Pki, identity, address, service);

    public V1.KeyService.KeyServiceClient Public(WorkloadIdentity identity) => new(Invoker(identity, KeyServicePublic));

    /// <summary>KeyAdmin, the shared key lifecycle API, on keyservice's admin listener.</summary>
    public KeyAdmin.V1.KeyAdmin.KeyAdminClient Admin(WorkloadIdentity? identity = null) => new(AdminInvoker(identity));

    /// <summary>keyservice's own admin methods (import) on the same listener.</summary>
    public KeyServiceAdmin.KeyServiceAdminClient Import(WorkloadIdentity? identity = null) => new(AdminInvoker(identity));

    public CallInvoker AdminInvoker(WorkloadIdentity? identity = null) => Invoker(identity ?? WorkloadIdentity.Operator("admin"), KeyServiceAdmin);

    public KeyManagementService.KeyManagementServiceClient KmsAs(WorkloadIdentity identity) =>
        new(Invoker(identity, KmsAdmin, "kms"));

    public async ValueTask DisposeAsync()
    {
        await KeyService.StopAsync();
        await KeyService.DisposeAsync();
        await Kms.StopAsync();
        await Kms.DisposeAsync();
        Pki.Dispose();
    }
}
