using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Strongroom.Crypto;
using Strongroom.KeyAdmin.V1;
using Strongroom.KeyService.Domain;
using Strongroom.KeyService.Tests.Support;
using Strongroom.KeyService.V1;
using Strongroom.Operator;
using Strongroom.Pki;
using Strongroom.Requests;
using Strongroom.Runner.V1;
using Strongroom.Testing;
using KeyKind = Strongroom.KeyAdmin.V1.KeyKind;

namespace Strongroom.KeyService.Tests;

/// <summary>
/// keyservice checks every request itself before any private-key operation (DESIGN §3.2): client
/// key from the real key log, owner, signature, time window, a durable budget of 3 unwraps, and no
/// unwrap at all once the runner completed the request, even after a restart.
/// </summary>
public sealed class RequestChecksTests(CheckedKeyServiceStack fixture) : IClassFixture<CheckedKeyServiceStack>, IAsyncLifetime
{
    private const string StudioMlKey = "studioml";
    private const string HpkeKey = "requests";

    private KeyServiceStack Stack => fixture.Stack;

    private RequestLedger Ledger => Stack.KeyService.Services.GetRequiredService<RequestLedger>();

    private static string Fixture(string name) => RepoPaths.TestData("fixtures", "studioml", name);

    public async ValueTask InitializeAsync()
    {
        try
        {
            await Stack.Admin().GetKeyAsync(new GetKeyRequest { KeyName = StudioMlKey });
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            var passphrase = File.ReadAllText(Fixture("secret_phrase")).TrimEnd('\r', '\n').ToCharArray();
            await StudioMlImport.RunAsync(Stack.AdminInvoker(), StudioMlKey, await File.ReadAllTextAsync(Fixture("studioml_message.pem")), passphrase, default);
            await Stack.Admin().CreateKeyAsync(new CreateKeyRequest { KeyName = HpkeKey, Kind = KeyKind.X25519 });
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A fresh StudioML payload sealed to the fixture RSA key.</summary>
    private static string FreshPayload(string text)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Fixture("studioml_message.pub.pem")));
        return StudioMlPayload.Seal(rsa, Encoding.UTF8.GetBytes(text));
    }

    private UnwrapMessageKeyRequest Signed(string payload, Ed25519KeyPair? key = null, string identity = CheckedKeyServiceStack.DemoIdentity)
    {
        key ??= fixture.DemoSigning;
        return new UnwrapMessageKeyRequest
        {
            KeyName = StudioMlKey,
            Payload = payload,
            Fingerprint = OpenSsh.Fingerprint(key.PublicKey),
            Signature = StudioMlPayload.SignPayload(key, payload),
            ClientIdentity = identity,
        };
    }

    private async Task<UnwrapMessageKeyResponse> Unwrap(UnwrapMessageKeyRequest request) =>
        await Stack.Public(WorkloadIdentity.Runner).UnwrapMessageKeyAsync(request);

    private async Task<StatusCode> Refusal(UnwrapMessageKeyRequest request) =>
        (await Assert.ThrowsAsync<RpcException>(() => Unwrap(request))).StatusCode;

    private async Task<(int Unwraps, bool Completed)> Budget(string payload) =>
        await Ledger.GetAsync(RequestLedger.StudioMlKey(payload), TestContext.Current.CancellationToken);

    private async Task<V1.PublicKey> HpkeRecipient() =>
        (await Stack.Public(WorkloadIdentity.Runner).GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = HpkeKey })).PublicKey;

    private (Envelope Envelope, Header Header) Seal(V1.PublicKey recipient, Action<Header>? tweak = null, Ed25519KeyPair? key = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new Header
        {
            Version = 1,
            RecipientKid = recipient.Kid,
            SigningKid = fixture.HpkeSigningKid,
            ClientIdentity = CheckedKeyServiceStack.HpkeIdentity,
            RequestId = ByteString.CopyFrom(SecureRandom.GetBytes(16)),
            JobName = "score",
            CreatedAt = now,
            ExpiresAt = now + 600,
        };
        tweak?.Invoke(header);
        var headerBytes = header.ToByteArray();
        using var jwk = JsonWebKey.Parse(recipient.JwkJson);
        var sealedMessage = Hpke.Seal(jwk.ToX25519PublicKey(), Hpke.RequestInfo, headerBytes, "{\"text\":\"score me\"}"u8);
        var envelope = new Envelope
        {
            Header = ByteString.CopyFrom(headerBytes),
            Enc = ByteString.CopyFrom(sealedMessage.EncapsulatedKey),
            Ct = ByteString.CopyFrom(sealedMessage.Ciphertext),
        };
        envelope.Signature = ByteString.CopyFrom(StrongroomEnvelope.Sign(key ?? fixture.HpkeSigning, headerBytes, envelope.Enc.Span, envelope.Ct.Span));
        return (envelope, header);
    }

    private async Task<DecapsulateResponse> Decapsulate(Envelope envelope, string identity = CheckedKeyServiceStack.HpkeIdentity) =>
        await Stack.Public(WorkloadIdentity.Runner).DecapsulateAsync(new DecapsulateRequest { Envelope = envelope, ClientIdentity = identity });

    private async Task<StatusCode> HpkeRefusal(Envelope envelope, string identity = CheckedKeyServiceStack.HpkeIdentity) =>
        (await Assert.ThrowsAsync<RpcException>(() => Decapsulate(envelope, identity))).StatusCode;

    private async Task<(int Unwraps, bool Completed)> Budget(Header header) =>
        await Ledger.GetAsync(RequestLedger.StrongroomKey(header.ClientIdentity, header.RequestId.Span), TestContext.Current.CancellationToken);

    [Fact]
    public async Task The_bad_signature_fixture_is_refused_before_any_rsa_operation_and_spends_no_budget()
    {
        var message = JsonDocument.Parse(File.ReadAllText(Fixture("envelope-bad-signature.json"))).RootElement.GetProperty("message");
        var payload = message.GetProperty("payload").GetString()!;
        var request = new UnwrapMessageKeyRequest
        {
            KeyName = StudioMlKey,
            Payload = payload,
            Fingerprint = message.GetProperty("fingerprint").GetString(),
            Signature = message.GetProperty("signature").GetString(),
            ClientIdentity = CheckedKeyServiceStack.DemoIdentity,
        };

        Assert.Equal(StatusCode.PermissionDenied, await Refusal(request));
        Assert.Equal((0, false), await Budget(payload));

        // A valid signature over another payload does not cover this one either.
        var fresh = FreshPayload("{}");
        Assert.Equal(StatusCode.PermissionDenied, await Refusal(new UnwrapMessageKeyRequest(Signed(fresh)) { Signature = Signed(FreshPayload("{}")).Signature }));
        Assert.Equal((0, false), await Budget(fresh));
    }

    [Fact]
    public async Task Unknown_clients_and_identity_mismatches_are_refused_before_any_private_key_operation()
    {
        var payload = FreshPayload("{\"a\":1}");
        using var stranger = Ed25519KeyPair.Generate();

        Assert.Equal(StatusCode.NotFound, await Refusal(Signed(payload, stranger)));
        Assert.Equal(StatusCode.PermissionDenied, await Refusal(Signed(payload, identity: CheckedKeyServiceStack.OtherIdentity)));
        Assert.Equal(StatusCode.InvalidArgument, await Refusal(new UnwrapMessageKeyRequest(Signed(payload)) { Fingerprint = "" }));
        Assert.Equal((0, false), await Budget(payload));

        var recipient = await HpkeRecipient();
        var (unknownKey, unknownHeader) = Seal(recipient, h => h.SigningKid = JsonWebKey.FromPublicKey(stranger.PublicKey).Thumbprint(), stranger);
        Assert.Equal(StatusCode.NotFound, await HpkeRefusal(unknownKey));
        // The header names client/hpke but the runner forwards client/other.
        var (envelope, header) = Seal(recipient);
        Assert.Equal(StatusCode.PermissionDenied, await HpkeRefusal(envelope, CheckedKeyServiceStack.OtherIdentity));
        // client/other signs with its own key but claims to be client/hpke in the header.
        var (claimed, claimedHeader) = Seal(recipient, h => h.SigningKid = fixture.OtherSigningKid, fixture.OtherSigning);
        Assert.Equal(StatusCode.PermissionDenied, await HpkeRefusal(claimed));
        // client/hpke's key, a byte of the ciphertext changed after signing.
        var tampered = new Envelope(envelope) { Ct = ByteString.CopyFrom([.. envelope.Ct.Span[..^1], (byte)(envelope.Ct.Span[^1] ^ 1)]) };
        Assert.Equal(StatusCode.PermissionDenied, await HpkeRefusal(tampered));
        Assert.Equal((0, false), await Budget(unknownHeader));
        Assert.Equal((0, false), await Budget(header));
        Assert.Equal((0, false), await Budget(claimedHeader));

        // The untouched envelope still opens: nothing above spent its budget.
        await Decapsulate(envelope);
        Assert.Equal((1, false), await Budget(header));
    }

    [Fact]
    public async Task A_revoked_client_key_is_refused_in_both_formats()
    {
        using var signing = Ed25519KeyPair.Generate();
        const string identity = "spiffe://strongroom/client/revoked";
        var kid = await fixture.RegisterAsync("client/revoked", OpenSsh.FormatAuthorizedKey(signing.PublicKey));
        var payload = FreshPayload("{\"revoked\":true}");
        var (envelope, header) = Seal(await HpkeRecipient(), h => (h.SigningKid, h.ClientIdentity) = (kid, identity), signing);
        await Unwrap(Signed(payload, signing, identity));
        await Decapsulate(envelope, identity);

        await fixture.RevokeAsync("client/revoked", kid);

        var refused = await Assert.ThrowsAsync<RpcException>(() => Unwrap(Signed(payload, signing, identity)));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("revoked", refused.Status.Detail);
        Assert.Equal(StatusCode.FailedPrecondition, await HpkeRefusal(envelope, identity));
        Assert.Equal((1, false), await Budget(payload));
        Assert.Equal((1, false), await Budget(header));
    }

    [Fact]
    public async Task Expired_future_overlong_and_unknown_version_requests_are_refused()
    {
        var recipient = await HpkeRecipient();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var (expired, _) = Seal(recipient, h => (h.CreatedAt, h.ExpiresAt) = (now - 1000, now - 100));
        var (future, _) = Seal(recipient, h => (h.CreatedAt, h.ExpiresAt) = (now + 300, now + 600));
        var (overlong, _) = Seal(recipient, h => h.ExpiresAt = h.CreatedAt + 15 * 60 + 1);
        var (version2, _) = Seal(recipient, h => h.Version = 2);
        var (withinSkew, _) = Seal(recipient, h => (h.CreatedAt, h.ExpiresAt) = (now - 900, now - 30));

        Assert.Equal(StatusCode.FailedPrecondition, await HpkeRefusal(expired));
        Assert.Equal(StatusCode.FailedPrecondition, await HpkeRefusal(future));
        Assert.Equal(StatusCode.InvalidArgument, await HpkeRefusal(overlong));
        Assert.Equal(StatusCode.InvalidArgument, await HpkeRefusal(version2));
        Assert.Equal(32, (await Decapsulate(withinSkew)).AeadKey.Length);
    }

    [Fact]
    public async Task A_fourth_unwrap_is_refused_in_both_formats_and_the_budget_survives_a_restart()
    {
        var payload = FreshPayload("{\"budget\":true}");
        var recipient = await HpkeRecipient();
        var (envelope, header) = Seal(recipient);

        var first = await Unwrap(Signed(payload));
        Assert.Equal(CheckedKeyServiceStack.DemoIdentity, first.OwnerIdentity);
        await Unwrap(Signed(payload));
        await Decapsulate(envelope);
        await Decapsulate(envelope);
        Assert.Equal((2, false), await Budget(payload));

        await Stack.RestartKeyServiceAsync();

        Assert.Equal((2, false), await Budget(payload));
        Assert.Equal((2, false), await Budget(header));
        Assert.Equal(first.MessageKey, (await Unwrap(Signed(payload))).MessageKey);
        await Decapsulate(envelope);
        Assert.Equal(StatusCode.ResourceExhausted, await Refusal(Signed(payload)));
        Assert.Equal(StatusCode.ResourceExhausted, await HpkeRefusal(envelope));
        Assert.Equal((3, false), await Budget(payload));
        Assert.Equal((3, false), await Budget(header));
    }

    [Fact]
    public async Task After_CompleteRequest_a_captured_envelope_replayed_straight_to_keyservice_is_refused()
    {
        var runner = Stack.Public(WorkloadIdentity.Runner);
        var payload = FreshPayload("{\"complete\":true}");
        var recipient = await HpkeRecipient();
        var (envelope, header) = Seal(recipient);
        await Unwrap(Signed(payload));
        await Decapsulate(envelope);

        var digest = ByteString.CopyFrom(SHA256.HashData(Encoding.ASCII.GetBytes(payload)));
        var id = new StrongroomRequestId { ClientIdentity = header.ClientIdentity, RequestId = header.RequestId };
        await runner.CompleteRequestAsync(new CompleteRequestRequest { StudiomlPayloadSha256 = digest });
        await runner.CompleteRequestAsync(new CompleteRequestRequest { Strongroom = id });
        // Idempotent.
        await runner.CompleteRequestAsync(new CompleteRequestRequest { StudiomlPayloadSha256 = digest });
        await runner.CompleteRequestAsync(new CompleteRequestRequest { Strongroom = id });

        var replayed = await Assert.ThrowsAsync<RpcException>(() => Unwrap(Signed(payload)));
        Assert.Equal(StatusCode.FailedPrecondition, replayed.StatusCode);
        Assert.Contains("completed", replayed.Status.Detail);
        Assert.Equal(StatusCode.FailedPrecondition, await HpkeRefusal(envelope));

        // Completion is durable.
        await Stack.RestartKeyServiceAsync();
        Assert.Equal(StatusCode.FailedPrecondition, await Refusal(Signed(payload)));
        Assert.Equal(StatusCode.FailedPrecondition, await HpkeRefusal(envelope));

        // Only the runner completes requests; malformed ids are refused.
        var client = Stack.Public(WorkloadIdentity.Client("demo"));
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await client.CompleteRequestAsync(new CompleteRequestRequest { StudiomlPayloadSha256 = digest }));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        var shortDigest = await Assert.ThrowsAsync<RpcException>(async () => await runner.CompleteRequestAsync(new CompleteRequestRequest { StudiomlPayloadSha256 = ByteString.CopyFrom(new byte[31]) }));
        Assert.Equal(StatusCode.InvalidArgument, shortDigest.StatusCode);
        var empty = await Assert.ThrowsAsync<RpcException>(async () => await runner.CompleteRequestAsync(new CompleteRequestRequest()));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
    }

    [Fact]
    public async Task The_request_ledger_is_private_to_keyservice()
    {
        var path = Path.Combine(Stack.Root, "keyservice", "requests.db");
        await Unwrap(Signed(FreshPayload("{\"mode\":1}")));

        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }
}
