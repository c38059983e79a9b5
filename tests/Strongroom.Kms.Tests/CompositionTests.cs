using Microsoft.Extensions.DependencyInjection;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Tests.Support;
using Strongroom.Testing;

namespace Strongroom.Kms.Tests;

/// <summary>The kms as Program.cs composes it: every part it serves belongs to the one KeyManager.</summary>
public sealed class CompositionTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly Scratch _scratch = new();

    public void Dispose()
    {
        _pki.Dispose();
        _scratch.Dispose();
    }

    [Fact]
    public async Task Administration_encryption_and_the_sweep_are_the_one_key_manager_s_so_they_share_its_lock_and_store()
    {
        var passphraseFile = _scratch.Passphrase("passphrase", Scratch.NewPassphrase());
        await using var app = KmsServer.Build(_pki, _scratch.PathOf("kms.store"), passphraseFile, null, out _, out _, out _, out _);

        var keys = app.Services.GetRequiredService<KeyManager>();

        Assert.Same(keys.Admin, app.Services.GetRequiredService<KeyAdministration>());
        Assert.Same(keys.Crypto, app.Services.GetRequiredService<KeyEncryption>());
        Assert.Same(keys.Destructions, app.Services.GetRequiredService<DestructionSchedule>());
    }
}
