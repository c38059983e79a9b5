using System.Security.Cryptography;
using System.Text;
using Strongroom.Kms.Tests.Support;
using Strongroom.KmsClient;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Kms.Tests;

/// <summary>The running service over its store: a restart keeps every key, destroyed stays destroyed, secrets stay out of files and logs.</summary>
public sealed class RestartTests : IDisposable
{
    private static readonly byte[] Aad = "aad"u8.ToArray();
    private readonly TestPki _pki = new();
    private readonly Scratch _scratch = new();

    public void Dispose()
    {
        _pki.Dispose();
        _scratch.Dispose();
    }

    [Fact]
    public async Task A_restart_on_the_same_store_keeps_every_key_and_every_destruction()
    {
        var passphrase = Scratch.NewPassphrase();
        var passphraseFile = _scratch.Passphrase("passphrase", passphrase);
        var store = _scratch.PathOf("kms.store");
        var dek = RandomNumberGenerator.GetBytes(32);
        var keyIds = new[] { "app-a", "app-b", "app-c" };
        var wrapped = new Dictionary<string, byte[]>();
        byte[] shredded;
        string logs;
        string audit;

        await using (var first = await KmsServer.StartAsync(_pki, store, passphraseFile))
        {
            using var client = first.Client(WorkloadIdentity.KeyService, KmsServer.KeyServiceRing);
            await client.EnsureKeyRingAsync();
            foreach (var id in keyIds)
            {
                await client.CreateCryptoKeyAsync(id, TimeSpan.Zero);
                wrapped[id] = (await client.EncryptAsync(id, dek, Aad)).Ciphertext;
            }

            await client.SetPrimaryAsync("app-c", await client.CreateVersionAsync("app-c"));
            shredded = (await client.EncryptAsync("app-b", dek, Aad)).Ciphertext;
            await client.ScheduleDestroyAsync("app-b", 1);
            logs = first.Logs.Text;
            audit = first.AuditText();
        }

        await using var second = await KmsServer.StartAsync(_pki, store, passphraseFile);
        using var again = second.Client(WorkloadIdentity.KeyService, KmsServer.KeyServiceRing);

        Assert.Equal(dek, await again.DecryptAsync("app-a", wrapped["app-a"], Aad));
        Assert.Equal(dek, await again.DecryptAsync("app-c", wrapped["app-c"], Aad));
        Assert.Equal(2, (await again.GetCryptoKeyAsync("app-c")).PrimaryVersion);
        Assert.Equal(KmsVersionState.Destroyed, (await again.GetVersionStateAsync("app-b", 1)).State);
        var ex = await Assert.ThrowsAsync<KmsException>(() => again.DecryptAsync("app-b", shredded, Aad));
        Assert.Equal(KmsErrorKind.FailedPrecondition, ex.Kind);

        // The passphrase appears in no log line, audit entry or the store; DEKs never in the audit trail.
        var secret = Encoding.UTF8.GetBytes(passphrase);
        Assert.DoesNotContain(passphrase, logs + second.Logs.Text);
        Assert.DoesNotContain(passphrase, audit);
        Assert.True(File.ReadAllBytes(store).AsSpan().IndexOf(secret) < 0);
        Assert.DoesNotContain(Convert.ToBase64String(dek), audit);
        Assert.DoesNotContain(Convert.ToHexString(dek), audit, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Encrypt", audit);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store));
    }

    [Fact]
    public void The_service_refuses_to_start_on_a_wrong_passphrase_with_a_clear_message()
    {
        var store = _scratch.PathOf("kms.store");
        Storage.StoreMaintenance.Initialize(store, _scratch.Passphrase("right", Scratch.NewPassphrase()));
        var wrong = _scratch.Passphrase("wrong", Scratch.NewPassphrase());

        var ex = Assert.Throws<Storage.SealedStoreException>(() =>
            KmsServer.Build(_pki, store, wrong, null, out _, out _, out _, out _));

        Assert.StartsWith("wrong passphrase or corrupted kms store", ex.Message);
    }

    [Fact]
    public void The_service_refuses_to_start_without_a_store_unless_told_to_create_one()
    {
        var passphraseFile = _scratch.Passphrase("passphrase", Scratch.NewPassphrase());
        var extra = new Dictionary<string, string?> { ["Kms:CreateStoreIfMissing"] = "false" };

        var ex = Assert.Throws<Storage.SealedStoreException>(() =>
            KmsServer.Build(_pki, _scratch.PathOf("missing.store"), passphraseFile, extra, out _, out _, out _, out _));

        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void The_service_refuses_a_key_ring_binding_to_an_identity_that_holds_no_application_keys()
    {
        var passphraseFile = _scratch.Passphrase("passphrase", Scratch.NewPassphrase());
        var extra = new Dictionary<string, string?> { ["Kms:KeyRingBindings:projects/p/locations/l/keyRings/r"] = "runner" };

        var ex = Assert.Throws<Extensions.KmsStartupException>(() =>
            KmsServer.Build(_pki, _scratch.PathOf("kms.store"), passphraseFile, extra, out _, out _, out _, out _));

        Assert.Contains("only keyservice or signer may own a key ring", ex.Message);
    }
}
