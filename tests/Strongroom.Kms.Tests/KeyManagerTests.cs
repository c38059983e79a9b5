using Strongroom.Core;
using Strongroom.Kms.Domain;
using Strongroom.Kms.Storage;
using Strongroom.Kms.Tests.Support;
using Strongroom.Pki;

namespace Strongroom.Kms.Tests;

/// <summary>The domain constructed directly: time-driven destruction, grace bounds, persistence failure, bindings, paging, request checks.</summary>
public sealed class KeyManagerTests
{
    private static readonly byte[] Aad = "aad"u8.ToArray();
    private static readonly WorkloadIdentity KeyService = WorkloadIdentity.KeyService;

    [Fact]
    public void A_scheduled_version_is_destroyed_only_once_its_grace_has_elapsed()
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));
        var version = key + "/cryptoKeyVersions/1";

        h.Keys.Admin.DestroyCryptoKeyVersion(KeyService, version);
        h.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        var almost = h.Keys.Admin.GetCryptoKeyVersion(KeyService, version);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var destroyed = h.Keys.Admin.GetCryptoKeyVersion(KeyService, version);

        Assert.Equal(KeyVersionState.DestroyScheduled, almost.State);
        Assert.Equal(KeyVersionState.Destroyed, destroyed.State);
        Assert.Equal(h.Time.GetUtcNow(), destroyed.DestroyEventTime);
        Assert.Null(h.Version(key, 1).Material);
    }

    [Fact]
    public void Destroyed_material_is_zeroed_in_memory_and_absent_from_the_resealed_store()
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));
        var materialBuffer = h.Version(key, 1).Material!;
        var material = materialBuffer.ToArray();
        Assert.True(h.Persistence.LastPayload.AsSpan().IndexOf(material) >= 0, "the live KEK is in the sealed payload");

        h.Keys.Admin.DestroyCryptoKeyVersion(KeyService, key + "/cryptoKeyVersions/1");
        h.Time.Advance(TimeSpan.FromDays(2));
        var destroyed = h.Keys.Destructions.SweepDueDestructions();

        Assert.Equal(1, destroyed);
        Assert.True(materialBuffer.All(b => b == 0), "the pinned material buffer is zeroed");
        Assert.True(h.Persistence.LastPayload.AsSpan().IndexOf(material) < 0, "the destroyed KEK is gone from the sealed payload");
    }

    [Fact]
    public void A_version_past_its_destroy_time_is_unusable_even_when_the_store_cannot_be_written()
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));
        var ciphertext = h.Keys.Crypto.Encrypt(KeyService, key, new byte[32], Aad, null, null).Ciphertext;
        h.Keys.Admin.DestroyCryptoKeyVersion(KeyService, key + "/cryptoKeyVersions/1");
        h.Time.Advance(TimeSpan.FromDays(2));
        h.Persistence.Fail = true;

        var decrypt = Assert.Throws<StrongroomException>(() => h.Keys.Crypto.Decrypt(KeyService, key, ciphertext, Aad, null, null));
        var restore = Assert.Throws<StrongroomException>(() => h.Keys.Admin.RestoreCryptoKeyVersion(KeyService, key + "/cryptoKeyVersions/1"));
        h.Persistence.Fail = false;

        Assert.Equal(ErrorKind.FailedPrecondition, decrypt.Kind);
        Assert.Equal(ErrorKind.FailedPrecondition, restore.Kind);
        Assert.Equal(1, h.Keys.Destructions.SweepDueDestructions());
    }

    [Fact]
    public void A_change_the_store_cannot_persist_is_undone_and_reported_unavailable()
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));
        h.Persistence.Fail = true;

        var create = Assert.Throws<StrongroomException>(() => h.Keys.Admin.CreateCryptoKeyVersion(KeyService, key));
        var disable = Assert.Throws<StrongroomException>(() => h.Keys.Admin.SetVersionState(KeyService, key + "/cryptoKeyVersions/1", KeyVersionState.Disabled));
        h.Persistence.Fail = false;

        Assert.Equal(ErrorKind.Unavailable, create.Kind);
        Assert.Equal(ErrorKind.Unavailable, disable.Kind);
        Assert.Equal(1, h.Keys.Admin.ListCryptoKeyVersions(KeyService, key, 0, "").TotalSize);
        Assert.Equal(KeyVersionState.Enabled, h.Keys.Admin.GetCryptoKeyVersion(KeyService, key + "/cryptoKeyVersions/1").State);
    }

    [Theory]
    [InlineData(0, false, false)]
    [InlineData(3600, false, false)]
    [InlineData(86400, false, true)]
    [InlineData(0, true, true)]
    [InlineData(120 * 86400, false, true)]
    [InlineData((120 * 86400) + 1, true, false)]
    public void The_destroy_grace_is_at_least_24_hours_unless_development_allows_zero(int seconds, bool allowZero, bool accepted)
    {
        using var h = new DomainHarness(allowZeroGrace: allowZero);
        h.Keys.Admin.CreateKeyRing(KeyService, "projects/p/locations/l", "keyservice");

        var create = () => h.Keys.Admin.CreateCryptoKey(KeyService, DomainHarness.Ring, "k", new CryptoKeySpec(TimeSpan.FromSeconds(seconds), new Dictionary<string, string>(), false));

        if (accepted)
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), create().DestroyGrace);
        }
        else
        {
            Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<StrongroomException>(create).Kind);
        }
    }

    [Fact]
    public void A_key_created_without_a_grace_gets_the_cloud_kms_default_of_30_days()
    {
        using var h = new DomainHarness();
        h.Keys.Admin.CreateKeyRing(KeyService, "projects/p/locations/l", "keyservice");

        var key = h.Keys.Admin.CreateCryptoKey(KeyService, DomainHarness.Ring, "k", new CryptoKeySpec(null, new Dictionary<string, string>(), false));

        Assert.Equal(TimeSpan.FromDays(30), key.DestroyGrace);
        Assert.Equal("keyservice", key.BoundIdentity);
    }

    [Fact]
    public void The_store_payload_round_trips_every_key_version_and_state()
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));
        h.Keys.Admin.CreateCryptoKeyVersion(KeyService, key);
        h.Keys.Admin.UpdatePrimaryVersion(KeyService, key, "2");
        h.Keys.Admin.SetVersionState(KeyService, key + "/cryptoKeyVersions/1", KeyVersionState.Disabled);
        var wrapped = h.Keys.Crypto.Encrypt(KeyService, key, new byte[32], Aad, null, null);

        using var reloaded = new DomainHarness(state: StoreCodec.Deserialize(h.Persistence.LastPayload));
        var view = reloaded.Keys.Admin.GetCryptoKey(KeyService, key);

        Assert.Equal(2, view.Primary!.Number);
        Assert.Equal(KeyVersionState.Disabled, reloaded.Keys.Admin.GetCryptoKeyVersion(KeyService, key + "/cryptoKeyVersions/1").State);
        Assert.Equal(new byte[32], reloaded.Keys.Crypto.Decrypt(KeyService, key, wrapped.Ciphertext, Aad, null, null).Plaintext);
    }

    [Fact]
    public void A_store_payload_with_trailing_bytes_or_a_bad_count_is_refused()
    {
        using var h = new DomainHarness();
        h.NewKey(TimeSpan.FromHours(24));
        var payload = h.Persistence.LastPayload;

        Assert.Throws<SealedStoreException>(() => StoreCodec.Deserialize([.. payload, 0]));
        Assert.Throws<SealedStoreException>(() => StoreCodec.Deserialize(payload.AsSpan(0, payload.Length - 1)));
        var badCount = (byte[])payload.Clone();
        badCount[13 + 3] = 0xFF;
        Assert.Throws<SealedStoreException>(() => StoreCodec.Deserialize(badCount));
    }

    [Fact]
    public void An_operator_cannot_create_keys_in_a_ring_no_service_owns()
    {
        using var h = new DomainHarness();
        var op = WorkloadIdentity.Operator("alice");
        h.Keys.Admin.CreateKeyRing(op, "projects/p/locations/l", "orphan");

        var ex = Assert.Throws<StrongroomException>(() =>
            h.Keys.Admin.CreateCryptoKey(op, "projects/p/locations/l/keyRings/orphan", "k", new CryptoKeySpec(null, new Dictionary<string, string>(), false)));
        var service = Assert.Throws<StrongroomException>(() => h.Keys.Admin.GetKeyRing(KeyService, "projects/p/locations/l/keyRings/orphan"));

        Assert.Equal(ErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal(ErrorKind.PermissionDenied, service.Kind);
    }

    [Fact]
    public void A_key_ring_binding_from_configuration_wins_over_who_asks_to_create_it()
    {
        var bindings = new Dictionary<string, WorkloadIdentity> { ["projects/p/locations/l/keyRings/signer"] = WorkloadIdentity.Signer };
        using var h = new DomainHarness(bindings: bindings);

        var ex = Assert.Throws<StrongroomException>(() => h.Keys.Admin.CreateKeyRing(KeyService, "projects/p/locations/l", "signer"));
        h.Keys.Admin.CreateKeyRing(WorkloadIdentity.Operator("alice"), "projects/p/locations/l", "signer");
        var created = h.Keys.Admin.CreateCryptoKey(WorkloadIdentity.Operator("alice"), "projects/p/locations/l/keyRings/signer", "k", new CryptoKeySpec(null, new Dictionary<string, string>(), false));

        Assert.Equal(ErrorKind.PermissionDenied, ex.Kind);
        Assert.Equal("signer", created.BoundIdentity);
    }

    [Fact]
    public void Services_list_only_their_own_key_rings_and_operators_list_all()
    {
        using var h = new DomainHarness();
        h.Keys.Admin.CreateKeyRing(KeyService, "projects/p/locations/l", "a");
        h.Keys.Admin.CreateKeyRing(KeyService, "projects/p/locations/l", "b");
        h.Keys.Admin.CreateKeyRing(WorkloadIdentity.Signer, "projects/p/locations/l", "c");

        var mine = h.Keys.Admin.ListKeyRings(KeyService, "projects/p/locations/l", 1, "");
        var next = h.Keys.Admin.ListKeyRings(KeyService, "projects/p/locations/l", 1, mine.NextPageToken);
        var all = h.Keys.Admin.ListKeyRings(WorkloadIdentity.Operator("alice"), "projects/p/locations/l", 0, "");

        Assert.Equal(2, mine.TotalSize);
        Assert.Equal("projects/p/locations/l/keyRings/a", Assert.Single(mine.Items).Name);
        Assert.Equal("projects/p/locations/l/keyRings/b", Assert.Single(next.Items).Name);
        Assert.Equal("", next.NextPageToken);
        Assert.Equal(3, all.TotalSize);
    }

    [Fact]
    public void A_page_token_this_server_did_not_issue_is_invalid_argument()
    {
        using var h = new DomainHarness();
        h.Keys.Admin.CreateKeyRing(KeyService, "projects/p/locations/l", "a");

        var ex = Assert.Throws<StrongroomException>(() => h.Keys.Admin.ListKeyRings(KeyService, "projects/p/locations/l", 1, "%%%"));

        Assert.Equal("page_token", Assert.Single(ex.Violations).Field);
    }

    [Fact]
    public void Encrypt_counts_every_plaintext_size_it_receives_even_refused_ones()
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));

        h.Keys.Crypto.Encrypt(KeyService, key, new byte[32], Aad, null, null);
        Assert.Throws<StrongroomException>(() => h.Keys.Crypto.Encrypt(WorkloadIdentity.Signer, key, new byte[48], Aad, null, null));

        Assert.Equal(new Dictionary<int, long> { [32] = 1, [48] = 1 }, h.Sizes.Snapshot());
    }

    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(KeyEncryption.MaxPlaintextBytes + 1, 0, false)]
    [InlineData(32, KeyEncryption.MaxAadBytes + 1, false)]
    [InlineData(32, 0, true)]
    public void The_request_checks_the_fuzzer_runs_are_the_ones_encrypt_applies(int plaintextBytes, int aadBytes, bool wrongChecksum)
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));
        var plaintext = new byte[plaintextBytes];
        var aad = new byte[aadBytes];
        long? crc = wrongChecksum ? Strongroom.Crypto.Crc32C.ComputeAsInt64(plaintext) ^ 1 : null;

        var checkedAlone = Assert.Throws<StrongroomException>(() => KeyEncryption.CheckEncryptRequest(plaintext, aad, crc, null));
        var encrypted = Assert.Throws<StrongroomException>(() => h.Keys.Crypto.Encrypt(KeyService, key, plaintext, aad, crc, null));

        Assert.Equal(encrypted.Message, checkedAlone.Message);
    }

    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(KeyEncryption.MaxCiphertextBytes + 1, 0, false)]
    [InlineData(64, KeyEncryption.MaxAadBytes + 1, false)]
    [InlineData(64, 0, true)]
    public void The_request_checks_the_fuzzer_runs_are_the_ones_decrypt_applies(int ciphertextBytes, int aadBytes, bool wrongChecksum)
    {
        using var h = new DomainHarness();
        var key = h.NewKey(TimeSpan.FromHours(24));
        var ciphertext = new byte[ciphertextBytes];
        var aad = new byte[aadBytes];
        long? crc = wrongChecksum ? Strongroom.Crypto.Crc32C.ComputeAsInt64(ciphertext) ^ 1 : null;

        var checkedAlone = Assert.Throws<StrongroomException>(() => KeyEncryption.CheckDecryptRequest(ciphertext, aad, crc, null));
        var decrypted = Assert.Throws<StrongroomException>(() => h.Keys.Crypto.Decrypt(KeyService, key, ciphertext, aad, crc, null));

        Assert.Equal(decrypted.Message, checkedAlone.Message);
    }
}
