using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Strongroom.Client.Tests.Support;
using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Pki;
using Strongroom.Storage.Tests.Support;
using Api = Strongroom.Storage.V1;
using KeyServiceApi = Strongroom.KeyService.V1;

namespace Strongroom.Client.Tests;

/// <summary>The SDK's pinned view of the key log against a real storage (fresh per test).</summary>
public sealed class PinnedLogTests : IAsyncLifetime
{
    private static readonly WorkloadIdentity Alice = WorkloadIdentity.Client("alice");

    private StorageFixture _storage = null!;
    private string _pinFile = "";

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _storage = await StorageFixture.StartAsync();
        _pinFile = Path.Combine(_storage.Pki.Root, "client", "keylog.pin");
    }

    public async ValueTask DisposeAsync() => await _storage.DisposeAsync();

    private PinnedLog NewLog(IKeyLogSource? source = null, string? pinFile = null) =>
        PinnedLog.Create(source ?? _storage.Source(Alice), _storage.Signer.Verifier.ToString(), StorageFixture.Deployment, pinFile ?? _pinFile);

    private async Task<string> PublishResultKeyAsync()
    {
        using var key = Ed25519KeyPair.Generate();
        using var jwk = JsonWebKey.FromPublicKey(key.PublicKey);
        return await _storage.PublishAsync(WorkloadIdentity.Signer, jwk, Api.KeyKind.ResultSigning, "results");
    }

    private async Task<Api.RegisterClientResponse> RegisterAsync(ClientIdentityKeys keys, string identity = "spiffe://strongroom/client/alice") =>
        // Registration is an operator's act (the JWS is signed by a pinned operator key either way).
        await _storage.Client(WorkloadIdentity.Operator("admin")).RegisterClientAsync(new Api.RegisterClientRequest
        {
            RegistrationJws = RegistrationJws.Sign(_storage.OperatorKey, keys.RegistrationPayload(identity)),
        }, cancellationToken: Ct);

    [Fact]
    public async Task A_client_pins_then_accepts_a_later_checkpoint_through_a_consistency_proof()
    {
        await PublishResultKeyAsync();
        using var log = NewLog();
        var first = await log.RefreshAsync(Ct);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_pinFile));

        using var keys = ClientIdentityKeys.Generate();
        var registered = await RegisterAsync(keys);
        Assert.Equal(keys.SigningKid, registered.SigningKid);
        Assert.Equal(keys.SealingKid, registered.SealingKid);
        var second = await log.RefreshAsync(Ct);

        Assert.True(second.Size > first.Size);
        Assert.Same(second, log.Pinned);
        var signing = await log.VerifyKeyAsync(keys.SigningKid, Ct);
        Assert.NotNull(signing);
        Assert.Equal(KeyKind.ClientSigning, signing.Kind);
        Assert.Equal(KeyState.Enabled, signing.State);
        Assert.Equal(Alice.ToString(), signing.Owner);
        var byFingerprint = await log.VerifyKeyAsync(new Api.LookupKeyRequest { OpensshFingerprint = keys.OpenSshFingerprint }, Ct);
        Assert.Equal(keys.SigningKid, byFingerprint?.Kid);
        var sealing = await log.VerifyKeyAsync(keys.SealingKid, Ct);
        Assert.Equal(KeyKind.ClientSealing, sealing?.Kind);

        // A new process starts from the pin file, not from whatever storage says first.
        using var restarted = NewLog();
        Assert.Equal(second.Size, restarted.Pinned?.Size);
        Assert.Equal(second.RootHash, restarted.Pinned?.RootHash);
    }

    [Fact]
    public async Task A_checkpoint_signed_by_another_key_is_refused_and_the_pin_kept()
    {
        await PublishResultKeyAsync();
        var source = new TamperingSource(_storage.Source(Alice));
        using var log = NewLog(source);
        var pinned = await log.RefreshAsync(Ct);
        await PublishResultKeyAsync();

        using var impostor = Ed25519KeyPair.Generate();
        source.Checkpoint = real =>
        {
            var body = Checkpoint.Verify(real.Note, _storage.Signer.Verifier, _storage.Signer.Origin);
            // Same key name, another key: what a storage holding its own "log key" would sign.
            return new Api.Checkpoint { Note = Checkpoint.Sign(body.Origin, body.Size, body.RootHash, impostor, TestCheckpointSigner.KeyName), TreeSize = (ulong)body.Size, RootHash = ByteString.CopyFrom(body.RootHash) };
        };

        var refused = await Assert.ThrowsAsync<KeyLogVerificationException>(() => log.RefreshAsync(Ct));
        Assert.Contains("not signed by the configured log key", refused.Message, StringComparison.Ordinal);
        Assert.Same(pinned, log.Pinned);

        // The first checkpoint is no different: a fresh client refuses it too.
        using var fresh = NewLog(source, Path.Combine(_storage.Pki.Root, "client", "other.pin"));
        await Assert.ThrowsAsync<KeyLogVerificationException>(() => fresh.RefreshAsync(Ct));
        Assert.Null(fresh.Pinned);
    }

    [Fact]
    public async Task A_forked_log_whose_consistency_proof_fails_is_refused()
    {
        await PublishResultKeyAsync();
        var source = new TamperingSource(_storage.Source(Alice));
        using var log = NewLog(source);
        var pinned = await log.RefreshAsync(Ct);
        await PublishResultKeyAsync();
        await PublishResultKeyAsync();
        var honest = Checkpoint.Verify((await source.GetCheckpointAsync(Ct)).Note, _storage.Signer.Verifier, _storage.Signer.Origin);

        // A tree of the same size in which the pinned history was rewritten, signed by the real log
        // key (storage and a careless log key holder colluding): only the consistency proof tells.
        var entries = (await _storage.Client(Alice).GetKeyLogEntriesAsync(new Api.GetKeyLogEntriesRequest { StartIndex = 0, EndIndex = (ulong)honest.Size }, cancellationToken: Ct)).Entries
            .Select(e => MerkleTree.LeafHash(e.EntryJson.Span)).ToList();
        entries[0] = MerkleTree.LeafHash("{\"rewritten\":true}"u8);
        var forkedRoot = MerkleTree.RootHash(entries, entries.Count);
        source.Checkpoint = _ => new Api.Checkpoint { Note = _storage.Signer.SignNote(honest.Size, forkedRoot), TreeSize = (ulong)honest.Size, RootHash = ByteString.CopyFrom(forkedRoot) };

        var refused = await Assert.ThrowsAsync<KeyLogVerificationException>(() => log.RefreshAsync(Ct));
        Assert.Contains("forked", refused.Message, StringComparison.Ordinal);
        Assert.Same(pinned, log.Pinned);

        // Same size as the pin but another root is a fork too.
        source.Checkpoint = _ => new Api.Checkpoint { Note = _storage.Signer.SignNote(pinned.Size, forkedRoot) };
        await Assert.ThrowsAsync<KeyLogVerificationException>(() => log.RefreshAsync(Ct));

        // And an older checkpoint than the pin is a rollback.
        source.Checkpoint = _ => new Api.Checkpoint { Note = _storage.Signer.SignNote(pinned.Size - 1, forkedRoot) };
        var rolledBack = await Assert.ThrowsAsync<KeyLogVerificationException>(() => log.RefreshAsync(Ct));
        Assert.Contains("older than the pinned", rolledBack.Message, StringComparison.Ordinal);

        // The honest log still moves the pin.
        source.Checkpoint = null;
        Assert.Equal(honest.Size, (await log.RefreshAsync(Ct)).Size);
    }

    [Fact]
    public async Task A_key_entry_edited_behind_storages_back_fails_its_inclusion_proof()
    {
        using var honest = Ed25519KeyPair.Generate();
        using var honestJwk = JsonWebKey.FromPublicKey(honest.PublicKey);
        var kid = await _storage.PublishAsync(WorkloadIdentity.Signer, honestJwk, Api.KeyKind.ResultSigning, "results");
        await PublishResultKeyAsync();
        using var log = NewLog();
        await log.RefreshAsync(Ct);
        Assert.Equal(KeyState.Enabled, (await log.VerifyKeyAsync(kid, Ct))?.State);

        // Behind storage's back: the entry now carries an attacker's key under the honest kid.
        var client = _storage.Client(Alice);
        var index = (await client.LookupKeyAsync(new Api.LookupKeyRequest { Kid = kid }, cancellationToken: Ct)).Entries.Single().Index;
        var original = (await client.GetKeyLogEntriesAsync(new Api.GetKeyLogEntriesRequest { StartIndex = index, EndIndex = index + 1 }, cancellationToken: Ct)).Entries.Single().EntryJson.ToStringUtf8();
        using var attacker = Ed25519KeyPair.Generate();
        var forged = original.Replace(StrictBase64.EncodeUrl(honest.PublicKey.Export()), StrictBase64.EncodeUrl(attacker.PublicKey.Export()), StringComparison.Ordinal);
        Assert.NotEqual(original, forged);
        await _storage.ExecuteSqlAsync($"UPDATE log_entries SET entry_json = x'{Convert.ToHexString(Encoding.UTF8.GetBytes(forged))}' WHERE idx = {index}");

        var refused = await Assert.ThrowsAsync<KeyLogVerificationException>(() => log.VerifyKeyAsync(kid, Ct));
        Assert.Contains("inclusion proof fails", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_inclusion_proof_for_another_leaf_is_refused()
    {
        var kid = await PublishResultKeyAsync();
        await PublishResultKeyAsync();
        await PublishResultKeyAsync();
        var source = new TamperingSource(_storage.Source(Alice));
        using var log = NewLog(source);
        await log.RefreshAsync(Ct);
        var real = _storage.Source(Alice);
        // Storage answers a genuine proof, but of the neighbouring leaf.
        source.InclusionProof = (index, _) => real.GetInclusionProofAsync(index + 1, log.Pinned!.Size, Ct).GetAwaiter().GetResult();

        await Assert.ThrowsAsync<KeyLogVerificationException>(() => log.VerifyKeyAsync(kid, Ct));
    }

    [Fact]
    public async Task The_recipient_key_is_believed_only_as_keyservices_enabled_request_key_in_the_log()
    {
        using var requestKey = X25519KeyPair.Generate();
        using var requestJwk = JsonWebKey.FromPublicKey(requestKey.PublicKey);
        var kid = await _storage.PublishAsync(WorkloadIdentity.KeyService, requestJwk, Api.KeyKind.RequestDecryption, "requests");
        using var log = NewLog();
        var keyService = new FixedPublicKeys();
        keyService.Keys["requests"] = new KeyServiceApi.PublicKey { KeyName = "requests", Version = 1, Kid = kid, JwkJson = requestJwk.ToJson() };

        var recipient = await RecipientKeys.FetchRecipientKeyAsync(keyService, log, cancellationToken: Ct);
        Assert.Equal(kid, recipient.Kid);
        Assert.Equal(requestKey.PublicKey, recipient.PublicKey);

        // A key keyservice (or the edge) hands out that the log never published.
        using var rogue = X25519KeyPair.Generate();
        using var rogueJwk = JsonWebKey.FromPublicKey(rogue.PublicKey);
        keyService.Keys["requests"] = new KeyServiceApi.PublicKey { Kid = rogueJwk.Thumbprint(), JwkJson = rogueJwk.ToJson() };
        Assert.Contains("not in the key log", (await Assert.ThrowsAsync<KeyLogVerificationException>(() => RecipientKeys.FetchRecipientKeyAsync(keyService, log, cancellationToken: Ct))).Message, StringComparison.Ordinal);

        // A kid that is not the JWK's thumbprint.
        keyService.Keys["requests"] = new KeyServiceApi.PublicKey { Kid = kid, JwkJson = rogueJwk.ToJson() };
        await Assert.ThrowsAsync<KeyLogVerificationException>(() => RecipientKeys.FetchRecipientKeyAsync(keyService, log, cancellationToken: Ct));

        // A client's own sealing key is an X25519 key in the log too, but not keyservice's request key.
        using var keys = ClientIdentityKeys.Generate();
        await RegisterAsync(keys);
        using var sealingJwk = JsonWebKey.Parse(keys.SealingPublicJwk());
        keyService.Keys["requests"] = new KeyServiceApi.PublicKey { Kid = keys.SealingKid, JwkJson = keys.SealingPublicJwk() };
        Assert.Contains("client_sealing", (await Assert.ThrowsAsync<KeyLogVerificationException>(() => RecipientKeys.FetchRecipientKeyAsync(keyService, log, cancellationToken: Ct))).Message, StringComparison.Ordinal);

        // Disabled in the log: requests sealed to it would be refused.
        keyService.Keys["requests"] = new KeyServiceApi.PublicKey { Kid = kid, JwkJson = requestJwk.ToJson() };
        await _storage.PublishEventAsync(WorkloadIdentity.KeyService, kid, Api.KeyEvent.Disabled);
        Assert.Contains("disabled", (await Assert.ThrowsAsync<KeyLogVerificationException>(() => RecipientKeys.FetchRecipientKeyAsync(keyService, log, cancellationToken: Ct))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_studioml_key_is_believed_only_as_keyservices_studioml_key_in_the_log()
    {
        using var rsa = RSA.Create(4096);
        using var jwk = JsonWebKey.FromPublicKey(rsa);
        var kid = await _storage.PublishAsync(WorkloadIdentity.KeyService, jwk, Api.KeyKind.StudiomlDecryption, "studioml");
        using var log = NewLog();
        var keyService = new FixedPublicKeys();
        keyService.Keys["studioml"] = new KeyServiceApi.PublicKey { Kid = kid, JwkJson = jwk.ToJson(), Pkcs1Pem = rsa.ExportRSAPublicKeyPem() };

        using var recipient = await RecipientKeys.FetchStudioMlKeyAsync(keyService, log, cancellationToken: Ct);
        Assert.Equal(kid, recipient.Kid);
        Assert.Equal(rsa.ExportParameters(false).Modulus, recipient.PublicKey.ExportParameters(false).Modulus);

        // The PEM must be the same key as the JWK the log vouches for.
        using var other = RSA.Create(2048);
        keyService.Keys["studioml"] = new KeyServiceApi.PublicKey { Kid = kid, JwkJson = jwk.ToJson(), Pkcs1Pem = other.ExportRSAPublicKeyPem() };
        await Assert.ThrowsAsync<KeyLogVerificationException>(() => RecipientKeys.FetchStudioMlKeyAsync(keyService, log, cancellationToken: Ct));
    }

    [Fact]
    public async Task A_result_verifies_through_the_pinned_log_until_its_signing_key_is_revoked()
    {
        using var signer = Ed25519KeyPair.Generate();
        using var signerJwk = JsonWebKey.FromPublicKey(signer.PublicKey);
        await _storage.PublishAsync(WorkloadIdentity.Signer, signerJwk, Api.KeyKind.ResultSigning, "results");
        using var log = NewLog();
        using var keys = ClientIdentityKeys.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var stored = SignedResults.Stored(signer, "job-1", digest, "out"u8.ToArray(), keys.Sealing.PublicKey);
        var expected = new ResultExpectation("job-1", SignedResults.Alice, digest);

        var verified = await ResultVerifier.VerifyAsync(stored, expected, log, keys.Sealing, Ct);
        Assert.Equal("out"u8.ToArray(), verified.Output);

        await _storage.PublishEventAsync(WorkloadIdentity.Signer, signerJwk.Thumbprint(), Api.KeyEvent.Revoked);
        var refused = await Assert.ThrowsAsync<ResultVerificationException>(() => ResultVerifier.VerifyAsync(stored, expected, log, keys.Sealing, Ct));
        Assert.Equal(ResultFailure.SigningKeyRevoked, refused.Failure);

        // A signer key storage has never heard of.
        using var unknown = Ed25519KeyPair.Generate();
        var foreign = SignedResults.Stored(unknown, "job-1", digest, "out"u8.ToArray(), keys.Sealing.PublicKey);
        Assert.Equal(ResultFailure.UnknownSigningKey, (await Assert.ThrowsAsync<ResultVerificationException>(() => ResultVerifier.VerifyAsync(foreign, expected, log, keys.Sealing, Ct))).Failure);
    }

    [Fact]
    public async Task A_result_is_refused_when_the_key_log_behind_it_does_not_verify()
    {
        using var signer = Ed25519KeyPair.Generate();
        using var signerJwk = JsonWebKey.FromPublicKey(signer.PublicKey);
        await _storage.PublishAsync(WorkloadIdentity.Signer, signerJwk, Api.KeyKind.ResultSigning, "results");
        // More than one leaf, so inclusion proofs are not empty.
        await PublishResultKeyAsync();
        var source = new TamperingSource(_storage.Source(Alice));
        using var log = NewLog(source);
        await log.RefreshAsync(Ct);
        // Every inclusion proof storage answers is garbage.
        source.InclusionProof = (_, proof) => proof.Select(h => h.Select(b => (byte)~b).ToArray()).ToList();
        using var keys = ClientIdentityKeys.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var stored = SignedResults.Stored(signer, "job-1", digest, "out"u8.ToArray(), keys.Sealing.PublicKey);

        var refused = await Assert.ThrowsAsync<ResultVerificationException>(() => ResultVerifier.VerifyAsync(stored, new ResultExpectation("job-1", SignedResults.Alice, digest), log, keys.Sealing, Ct));
        Assert.Equal(ResultFailure.KeyLogUnverified, refused.Failure);
    }

    [Fact]
    public async Task A_connection_from_a_pki_folder_reaches_the_named_service_and_refuses_any_other()
    {
        _storage.Pki.Issue(Alice);
        // Straight to storage here (no edge in this suite): the server identity is what the client names.
        using var connection = new StrongroomConnection(_storage.Pki.Root, "client/alice", _storage.PublicAddress, serverIdentity: "storage");
        await PublishResultKeyAsync();
        using var log = new PinnedLog(connection.KeyLog, _storage.Signer.Verifier, _storage.Signer.Origin);
        Assert.Equal(1, (await log.RefreshAsync(Ct)).Size);

        // storage's certificate cannot pose as the edge.
        using var wrong = new StrongroomConnection(_storage.Pki.Root, "client/alice", _storage.PublicAddress, serverIdentity: "edge");
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => wrong.KeyLog.GetCheckpointAsync(Ct));
        Assert.Contains(refused.StatusCode, new[] { Grpc.Core.StatusCode.Unavailable, Grpc.Core.StatusCode.Internal });
        Assert.Contains("SSL", refused.Status.DebugException?.ToString() ?? refused.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class FixedPublicKeys : IPublicKeySource
    {
        public Dictionary<string, KeyServiceApi.PublicKey> Keys { get; } = [];

        public Task<KeyServiceApi.PublicKey> GetPublicKeyAsync(string keyName, uint version, CancellationToken cancellationToken) => Task.FromResult(Keys[keyName]);
    }
}
