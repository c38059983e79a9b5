using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Primitives;

/// <summary>Ed25519 and X25519 key handles: RFC vectors, export policy, malformed inputs.</summary>
public class KeyPairTests
{
    [Fact]
    public void Ed25519_rfc8032_test_1_signs_and_verifies()
    {
        using var key = Ed25519KeyPair.ImportSeed(Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        Assert.Equal("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", ToHex(key.PublicKey.Export()));
        byte[] signature = key.Sign([]);
        Assert.Equal("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", ToHex(signature));
        Assert.True(key.PublicKey.Verify([], signature));
    }

    [Fact]
    public void Ed25519_verify_returns_false_for_malformed_signatures_and_never_throws()
    {
        using var key = Ed25519KeyPair.Generate();
        byte[] signature = key.Sign(Utf8("m"));
        Assert.False(key.PublicKey.Verify(Utf8("m"), []));
        Assert.False(key.PublicKey.Verify(Utf8("m"), signature.AsSpan(0, 63)));
        Assert.False(key.PublicKey.Verify(Utf8("m"), [.. signature, 0]));
        Assert.False(key.PublicKey.Verify(Utf8("m"), new byte[64]));
        Assert.False(key.PublicKey.Verify(Utf8("m"), Enumerable.Repeat((byte)0xFF, 64).ToArray()));
        Assert.False(key.PublicKey.Verify(Utf8("n"), signature));
        Assert.True(key.PublicKey.Verify(Utf8("m"), signature));
    }

    [Fact]
    public void Ed25519_public_key_import_is_exact_and_round_trips()
    {
        using var key = Ed25519KeyPair.Generate();
        Assert.Equal(key.PublicKey, Ed25519PublicKey.Import(key.PublicKey.Export()));
        Assert.False(Ed25519PublicKey.TryImport(new byte[31], out _));
        Assert.False(Ed25519PublicKey.TryImport(new byte[33], out _));
        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => Ed25519PublicKey.Import([])).Kind);
    }

    [Fact]
    public void Private_keys_export_only_when_created_exportable()
    {
        using var ed = Ed25519KeyPair.Generate();
        Assert.Equal(CryptoErrorKind.NotPermitted, Assert.Throws<CryptoException>(() => ed.ExportSeed()).Kind);
        using var edExportable = Ed25519KeyPair.Generate(exportable: true);
        using (var again = Ed25519KeyPair.ImportSeed(edExportable.ExportSeed()))
        {
            Assert.Equal(edExportable.PublicKey, again.PublicKey);
        }

        using var x = X25519KeyPair.Generate();
        Assert.Equal(CryptoErrorKind.NotPermitted, Assert.Throws<CryptoException>(() => x.ExportPrivateKey()).Kind);
        using var xExportable = X25519KeyPair.Generate(exportable: true);
        using var xAgain = X25519KeyPair.Import(xExportable.ExportPrivateKey());
        Assert.Equal(xExportable.PublicKey, xAgain.PublicKey);
    }

    [Fact]
    public void Key_material_of_the_wrong_length_is_an_invalid_argument()
    {
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => Ed25519KeyPair.ImportSeed(new byte[64])).Kind);
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => X25519KeyPair.Import(new byte[31])).Kind);
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => X25519PublicKey.Import(new byte[33])).Kind);
        Assert.Equal(CryptoErrorKind.InvalidArgument, Assert.Throws<CryptoException>(() => X25519Ephemeral.Agree(new byte[32], new byte[31], new byte[32])).Kind);
    }

    [Fact]
    public void X25519_long_lived_and_ephemeral_paths_agree_on_the_same_secret()
    {
        using var longLived = X25519KeyPair.Generate();
        byte[] ephemeral = SecureRandom.GetBytes(32);
        var ephemeralPublic = new byte[32];
        X25519Ephemeral.DerivePublicKey(ephemeral, ephemeralPublic);

        var fromEphemeral = new byte[32];
        X25519Ephemeral.Agree(ephemeral, longLived.PublicKey.Export(), fromEphemeral);
        Assert.Equal(fromEphemeral, longLived.Agree(X25519PublicKey.Import(ephemeralPublic)));
    }

    [Fact]
    public void X25519_rfc7748_section_6_1_alice_and_bob_share_the_rfc_secret()
    {
        using var alice = X25519KeyPair.Import(Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        using var bob = X25519KeyPair.Import(Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", ToHex(alice.PublicKey.Export()));
        Assert.Equal("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", ToHex(bob.PublicKey.Export()));
        Assert.Equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", ToHex(alice.Agree(bob.PublicKey)));
        Assert.Equal(alice.Agree(bob.PublicKey), bob.Agree(alice.PublicKey));
    }

    [Fact]
    public void X25519_zero_shared_secret_is_refused_on_both_paths_and_the_output_is_wiped()
    {
        using var pair = X25519KeyPair.Generate();
        Assert.Equal(CryptoErrorKind.InvalidPublicKey, Assert.Throws<CryptoException>(() => pair.Agree(X25519PublicKey.Import(new byte[32]))).Kind);
        var output = Enumerable.Repeat((byte)0xAA, 32).ToArray();
        Assert.Equal(CryptoErrorKind.InvalidPublicKey, Assert.Throws<CryptoException>(() => X25519Ephemeral.Agree(SecureRandom.GetBytes(32), new byte[32], output)).Kind);
        Assert.All(output, b => Assert.Equal(0, b));
    }
}
