using Strongroom.Crypto;
using Strongroom.KeyLog;
using Strongroom.Requests;
using Strongroom.Runner.V1;
using Strongroom.Testing;

namespace Strongroom.Client.Tests;

public sealed class StrongroomEnvelopeTests : IDisposable
{
    private const string Alice = "spiffe://strongroom/client/alice";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private readonly ClientIdentityKeys _client = ClientIdentityKeys.Generate();
    private readonly X25519KeyPair _runner = X25519KeyPair.Generate();
    private readonly string _runnerKid;

    public StrongroomEnvelopeTests()
    {
        using var jwk = JsonWebKey.FromPublicKey(_runner.PublicKey);
        _runnerKid = jwk.Thumbprint();
    }

    private BuiltEnvelope Build(ReadOnlySpan<byte> input, TimeSpan? lifetime = null) =>
        RequestBuilder.BuildStrongroom(_client.Signing, _client.SigningKid, _runner.PublicKey, _runnerKid, Alice, "train", _client.SealingKid, input, Now, lifetime ?? TimeSpan.FromMinutes(15));

    [Fact]
    public void An_envelope_built_by_the_sdk_verifies_parses_and_opens_with_the_recipient_key()
    {
        var built = Build("{\"epochs\":3}"u8);
        var envelope = built.Envelope;

        Assert.True(StrongroomEnvelope.Verify(_client.Signing.PublicKey, envelope.Header.Span, envelope.Enc.Span, envelope.Ct.Span, envelope.Signature.Span));
        var header = EnvelopeHeader.Parse(envelope.Header);
        Assert.Equal(1u, header.Version);
        Assert.Equal(_runnerKid, header.RecipientKid);
        Assert.Equal(_client.SigningKid, header.SigningKid);
        Assert.Equal(Alice, header.ClientIdentity);
        Assert.Equal(built.RequestId, header.RequestId.ToByteArray());
        Assert.Equal(16, built.RequestId.Length);
        Assert.Equal("train", header.JobName);
        Assert.Equal(Now.ToUnixTimeSeconds(), header.CreatedAt);
        Assert.Equal(Now.ToUnixTimeSeconds() + 900, header.ExpiresAt);
        Assert.Equal(_client.SealingKid, header.ResultKid);
        Assert.Equal(RequestDigest.OfEnvelope(envelope), built.RequestSha256);
        // The header is the AAD: it opens with the header as sent and not with any other.
        Assert.Equal("{\"epochs\":3}"u8.ToArray(), Hpke.Open(_runner, envelope.Enc.Span, Hpke.RequestInfo, envelope.Header.Span, envelope.Ct.Span));
        Assert.Throws<CryptoException>(() => Hpke.Open(_runner, envelope.Enc.Span, Hpke.RequestInfo, [], envelope.Ct.Span));
    }

    [Fact]
    public async Task Keyservices_request_verifier_accepts_the_envelope_for_the_registered_owner()
    {
        var built = Build("x"u8);
        var directory = new OneKeyDirectory(new ClientSigningKey(_client.SigningKid, Alice, KeyState.Enabled, _client.Signing.PublicKey));
        var verifier = new RequestVerifier(directory, new ManualClock(Now.AddSeconds(30)));

        var owner = await verifier.VerifyStrongroomAsync(built.Envelope, EnvelopeHeader.Parse(built.Envelope.Header), Alice, TestContext.Current.CancellationToken);

        Assert.Equal(Alice, owner);
    }

    [Fact]
    public void Two_envelopes_never_share_a_request_id()
    {
        Assert.NotEqual(Build("x"u8).RequestId, Build("x"u8).RequestId);
    }

    [Theory]
    [InlineData("header")]
    [InlineData("enc")]
    [InlineData("ct")]
    [InlineData("signature")]
    public void Flipping_any_byte_of_any_field_breaks_the_signature(string field)
    {
        var envelope = Build("some input"u8).Envelope;
        var fields = new Dictionary<string, byte[]>
        {
            ["header"] = envelope.Header.ToByteArray(),
            ["enc"] = envelope.Enc.ToByteArray(),
            ["ct"] = envelope.Ct.ToByteArray(),
            ["signature"] = envelope.Signature.ToByteArray(),
        };
        var target = fields[field];
        Assert.NotEmpty(target);
        for (var i = 0; i < target.Length; i++)
        {
            target[i] ^= 0x01;
            Assert.False(StrongroomEnvelope.Verify(_client.Signing.PublicKey, fields["header"], fields["enc"], fields["ct"], fields["signature"]), $"{field} byte {i} flipped still verifies");
            target[i] ^= 0x01;
        }

        Assert.True(StrongroomEnvelope.Verify(_client.Signing.PublicKey, fields["header"], fields["enc"], fields["ct"], fields["signature"]));
    }

    [Fact]
    public void A_lifetime_over_15_minutes_is_refused_by_the_builder()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Build("x"u8, TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Build("x"u8, TimeSpan.Zero));
        Assert.Equal(900, EnvelopeHeader.Parse(Build("x"u8, TimeSpan.FromMinutes(15)).Envelope.Header) is var h ? h.ExpiresAt - h.CreatedAt : 0);
    }

    public void Dispose()
    {
        _client.Dispose();
        _runner.Dispose();
    }

    private sealed class OneKeyDirectory(ClientSigningKey key) : IClientKeyDirectory
    {
        public Task<ClientSigningKey?> FindAsync(string? kid, string? opensshFingerprint, CancellationToken cancellationToken) =>
            Task.FromResult(kid == key.Kid ? key : null);

        public Task<ClientSealingKey?> FindSealingKeyAsync(string kid, CancellationToken cancellationToken) => Task.FromResult<ClientSealingKey?>(null);
    }
}
