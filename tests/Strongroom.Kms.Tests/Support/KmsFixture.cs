using Strongroom.KmsClient;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Kms.Tests.Support;

/// <summary>
/// One running kms per test class: the Argon2id derivation (256 MiB, ~0.5 s) happens once per class,
/// at the real production minimum. Tests use their own crypto key ids, so they never collide.
/// </summary>
public sealed class KmsFixture : IAsyncLifetime
{
    public TestPki Pki { get; } = new();

    public Scratch Scratch { get; } = new();

    public string Passphrase { get; } = Scratch.NewPassphrase();

    public string StorePath => Scratch.PathOf("kms.store");

    public KmsServer Server { get; private set; } = null!;

    public KekClient KeyService { get; private set; } = null!;

    public KekClient Signer { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var passphraseFile = Scratch.Passphrase("passphrase", Passphrase);
        Server = await KmsServer.StartAsync(Pki, StorePath, passphraseFile);
        KeyService = Server.Client(WorkloadIdentity.KeyService, KmsServer.KeyServiceRing);
        Signer = Server.Client(WorkloadIdentity.Signer, KmsServer.SignerRing);
        await KeyService.EnsureKeyRingAsync();
        await Signer.EnsureKeyRingAsync();
    }

    public static string NewKeyId() => "k-" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask DisposeAsync()
    {
        KeyService.Dispose();
        Signer.Dispose();
        await Server.DisposeAsync();
        Pki.Dispose();
        Scratch.Dispose();
    }
}
