using System.Buffers.Binary;
using System.Text;
using Strongroom.Crypto.Tests.Support;
using Strongroom.Testing;
using static Strongroom.Crypto.Tests.Support.TestBytes;

namespace Strongroom.Crypto.Tests.Keys;

/// <summary>OpenSSH public keys, fingerprints, signatures and unencrypted private keys, parsed strictly.</summary>
public class OpenSshTests
{
    [Fact]
    public void Fixture_private_key_is_unencrypted_and_signs_for_the_authorized_key()
    {
        string pem = File.ReadAllText(StudioMlFixtures.PathOf("client_signing"));
        SshAuthorizedKey authorized = OpenSsh.ParseAuthorizedKey(File.ReadAllText(StudioMlFixtures.PathOf("client_signing.pub")));

        using Ed25519KeyPair key = OpenSsh.ParsePrivateKey(pem);
        Assert.Equal(authorized.Key, key.PublicKey);
        Assert.True(authorized.Key.Verify(Utf8("P"), key.Sign(Utf8("P"))));
    }

    [Fact]
    public void Encrypted_openssh_private_keys_are_unsupported()
    {
        // studioml_message is the runner's RSA key in OpenSSH form, encrypted with aes256-ctr/bcrypt.
        var error = Assert.Throws<CryptoException>(() => OpenSsh.ParsePrivateKey(File.ReadAllText(StudioMlFixtures.PathOf("studioml_message"))));
        Assert.Equal(CryptoErrorKind.Unsupported, error.Kind);
    }

    [Fact]
    public void Generated_private_key_file_parses_and_damaged_ones_are_malformed()
    {
        byte[] seed = SecureRandom.GetBytes(32);
        using var reference = Ed25519KeyPair.ImportSeed(seed);
        byte[] pub = reference.PublicKey.Export();

        using (Ed25519KeyPair parsed = OpenSsh.ParsePrivateKey(PrivateKeyFile(seed, pub, pub, 7, 7, "c")))
        {
            Assert.Equal(reference.PublicKey, parsed.PublicKey);
        }

        Assert.Equal(CryptoErrorKind.Malformed, Assert.Throws<CryptoException>(() => OpenSsh.ParsePrivateKey(PrivateKeyFile(seed, pub, pub, 7, 8, "c"))).Kind);
        byte[] otherPub = Flip(pub, 0);
        Assert.Throws<CryptoException>(() => OpenSsh.ParsePrivateKey(PrivateKeyFile(seed, pub, otherPub, 7, 7, "c")));
        Assert.Throws<CryptoException>(() => OpenSsh.ParsePrivateKey(PrivateKeyFile(Flip(seed, 1), pub, pub, 7, 7, "c")));
        Assert.Throws<CryptoException>(() => OpenSsh.ParsePrivateKey(PrivateKeyFile(seed, pub, pub, 7, 7, "c", badPadding: true)));
        Assert.Throws<CryptoException>(() => OpenSsh.ParsePrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"));
        Assert.Throws<CryptoException>(() => OpenSsh.ParsePrivateKey("not a key"));
    }

    [Fact]
    public void Authorized_key_round_trips_and_its_fingerprint_matches_ssh_keygen()
    {
        using var key = Ed25519KeyPair.Generate();
        string line = OpenSsh.FormatAuthorizedKey(key.PublicKey, "alice@example with spaces");
        SshAuthorizedKey parsed = OpenSsh.ParseAuthorizedKey(line + "\n");
        Assert.Equal(key.PublicKey, parsed.Key);
        Assert.Equal("alice@example with spaces", parsed.Comment);

        Requirements.Require(ExternalProcess.IsOnPath("ssh-keygen"), "ssh-keygen is not installed");
        string file = Path.Combine(Path.GetTempPath(), "strongroom-" + Guid.NewGuid().ToString("N") + ".pub");
        try
        {
            File.WriteAllText(file, line + "\n");
            (int exitCode, string stdout, string stderr) = ExternalProcess.Run("ssh-keygen", ["-l", "-E", "sha256", "-f", file]);
            Assert.True(exitCode == 0, stderr);
            Assert.Equal(stdout.Split(' ')[1], OpenSsh.Fingerprint(key.PublicKey));
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static TheoryData<string> BadAuthorizedKeys
    {
        get
        {
            byte[] pub = new byte[32];
            pub[0] = 1;
            string good = Convert.ToBase64String(Blob("ssh-ed25519", pub));
            return
            [
                "ssh-rsa " + good,
                "from=\"10.0.0.1\" ssh-ed25519 " + good,
                "ssh-ed25519",
                "ssh-ed25519 " + good[..^1],
                "ssh-ed25519 " + good + "=",
                "ssh-ed25519  " + good.Insert(10, " "),
                "ssh-ed25519 " + good + "\nssh-ed25519 " + good,
                "ssh-ed25519 " + Convert.ToBase64String(Blob("ssh-rsa", pub)),
                "ssh-ed25519 " + Convert.ToBase64String(Blob("ssh-ed25519", new byte[31])),
                "ssh-ed25519 " + Convert.ToBase64String([.. Blob("ssh-ed25519", pub), 0]),
                "SSH-ED25519 " + good,
            ];
        }
    }

    [Theory]
    [MemberData(nameof(BadAuthorizedKeys))]
    public void Authorized_key_lines_that_are_not_exactly_one_plain_ed25519_key_are_refused(string line)
    {
        var error = Assert.Throws<CryptoException>(() => OpenSsh.ParseAuthorizedKey(line));
        Assert.Contains(error.Kind, new[] { CryptoErrorKind.Malformed, CryptoErrorKind.Unsupported });
    }

    [Fact]
    public void Signatures_are_accepted_raw_or_in_ssh_wire_form_only()
    {
        byte[] raw = SecureRandom.GetBytes(64);
        byte[] wire = OpenSsh.EncodeSignature(raw);
        Assert.Equal(83, wire.Length);
        Assert.Equal(raw, Parse(raw));
        Assert.Equal(raw, Parse(wire));

        Assert.Null(Parse(raw[..63]));
        Assert.Null(Parse([.. raw, 0]));
        Assert.Null(Parse([.. wire, 0]));
        Assert.Null(Parse(Blob("ssh-rsa", raw)[..Math.Min(83, Blob("ssh-rsa", raw).Length)]));
        Assert.Null(Parse(Blob("ssh-ed25518", raw)));
        byte[] wrongInnerLength = (byte[])wire.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(wrongInnerLength.AsSpan(15), 63);
        Assert.Null(Parse(wrongInnerLength));
        Assert.Null(Parse([]));
    }

    private static byte[]? Parse(byte[] encoded) => OpenSsh.TryParseSignature(encoded, out byte[]? signature) ? signature : null;

    private static byte[] Blob(string type, byte[] data)
    {
        var output = new List<byte>();
        WriteString(output, Encoding.ASCII.GetBytes(type));
        WriteString(output, data);
        return [.. output];
    }

    private static void WriteString(List<byte> output, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        output.AddRange(length);
        output.AddRange(data);
    }

    /// <summary>An openssh-key-v1 file as ssh-keygen writes it for an unencrypted Ed25519 key.</summary>
    private static string PrivateKeyFile(byte[] seed, byte[] outerPub, byte[] innerPub, uint check1, uint check2, string comment, bool badPadding = false)
    {
        var section = new List<byte>();
        var check = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(check, check1);
        BinaryPrimitives.WriteUInt32BigEndian(check.AsSpan(4), check2);
        section.AddRange(check);
        WriteString(section, Encoding.ASCII.GetBytes("ssh-ed25519"));
        WriteString(section, innerPub);
        WriteString(section, [.. seed, .. innerPub]);
        WriteString(section, Encoding.UTF8.GetBytes(comment));
        for (byte pad = 1; section.Count % 8 != 0; pad++)
        {
            section.Add(badPadding ? (byte)0 : pad);
        }

        var file = new List<byte>(Encoding.ASCII.GetBytes("openssh-key-v1\0"));
        WriteString(file, Encoding.ASCII.GetBytes("none"));
        WriteString(file, Encoding.ASCII.GetBytes("none"));
        WriteString(file, []);
        file.AddRange(new byte[] { 0, 0, 0, 1 });
        WriteString(file, Blob("ssh-ed25519", outerPub));
        WriteString(file, [.. section]);
        string base64 = Convert.ToBase64String([.. file]);
        var pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for (int i = 0; i < base64.Length; i += 70)
        {
            pem.Append(base64.AsSpan(i, Math.Min(70, base64.Length - i))).Append('\n');
        }

        return pem.Append("-----END OPENSSH PRIVATE KEY-----\n").ToString();
    }
}
