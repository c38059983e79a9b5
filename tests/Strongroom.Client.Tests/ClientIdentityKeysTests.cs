using System.Diagnostics;
using Strongroom.Crypto;

namespace Strongroom.Client.Tests;

public sealed class ClientIdentityKeysTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strongroom-client-keys-").FullName;

    [Fact]
    public void Every_key_file_is_owner_only_and_the_keys_load_back_the_same()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var keys = ClientIdentityKeys.Generate();
        keys.Save(_directory, "alice@lab");

        var files = new[] { ClientIdentityKeys.SigningKeyFile, ClientIdentityKeys.SigningPublicFile, ClientIdentityKeys.SigningJwkFile, ClientIdentityKeys.SealingKeyFile, ClientIdentityKeys.SealingJwkFile };
        foreach (var file in files)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, file)));
        }

        // Nothing else (no leftover temporary file) in the folder.
        Assert.Equal(files.Order(StringComparer.Ordinal), Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using var loaded = ClientIdentityKeys.Load(_directory);
        Assert.Equal(keys.SigningKid, loaded.SigningKid);
        Assert.Equal(keys.SealingKid, loaded.SealingKid);
        Assert.Equal(keys.OpenSshFingerprint, loaded.OpenSshFingerprint);
        var signature = loaded.Signing.Sign("m"u8);
        Assert.True(keys.Signing.PublicKey.Verify("m"u8, signature));
        Assert.Equal(keys.Sealing.PublicKey, loaded.Sealing.PublicKey);
    }

    [Fact]
    public void The_public_files_hold_the_kids_and_the_openssh_forms()
    {
        using var keys = ClientIdentityKeys.Generate();
        keys.Save(_directory);

        using var signingJwk = JsonWebKey.Parse(File.ReadAllText(Path.Combine(_directory, ClientIdentityKeys.SigningJwkFile)));
        using var sealingJwk = JsonWebKey.Parse(File.ReadAllText(Path.Combine(_directory, ClientIdentityKeys.SealingJwkFile)));
        Assert.False(signingJwk.HasPrivateKey);
        Assert.False(sealingJwk.HasPrivateKey);
        Assert.Equal(keys.SigningKid, signingJwk.Thumbprint());
        Assert.Equal(keys.SealingKid, sealingJwk.Thumbprint());
        var line = OpenSsh.ParseAuthorizedKey(File.ReadAllText(Path.Combine(_directory, ClientIdentityKeys.SigningPublicFile)).Trim());
        Assert.Equal(keys.Signing.PublicKey, line.Key);
        Assert.StartsWith("SHA256:", keys.OpenSshFingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public void Ssh_keygen_reads_the_private_key_file_and_prints_the_same_fingerprint()
    {
        var sshKeygen = new[] { "/usr/bin/ssh-keygen", "/bin/ssh-keygen" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(sshKeygen is null, "ssh-keygen is not installed");
        using var keys = ClientIdentityKeys.Generate();
        keys.Save(_directory, "alice@lab");

        var publicLine = Run(sshKeygen!, "-y", "-f", Path.Combine(_directory, ClientIdentityKeys.SigningKeyFile));
        var fingerprint = Run(sshKeygen!, "-l", "-E", "sha256", "-f", Path.Combine(_directory, ClientIdentityKeys.SigningKeyFile));

        Assert.Equal(keys.Signing.PublicKey, OpenSsh.ParseAuthorizedKey(publicLine.Trim()).Key);
        Assert.Contains(keys.OpenSshFingerprint, fingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_whose_public_file_names_another_key_is_refused()
    {
        using var keys = ClientIdentityKeys.Generate();
        using var other = ClientIdentityKeys.Generate();
        keys.Save(_directory);
        File.WriteAllText(Path.Combine(_directory, ClientIdentityKeys.SigningPublicFile), other.AuthorizedKeyLine() + "\n");

        Assert.Throws<InvalidDataException>(() => ClientIdentityKeys.Load(_directory));
    }

    [Fact]
    public void The_registration_jws_has_the_type_kid_and_payload_storage_checks()
    {
        using var keys = ClientIdentityKeys.Generate();
        using var operatorKey = Ed25519KeyPair.Generate();
        var jws = RegistrationJws.Sign(operatorKey, keys.RegistrationPayload("spiffe://strongroom/client/alice", ["fermions-key-1"]));

        var result = Jws.VerifyCompact(jws, operatorKey.PublicKey);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("strongroom-client-registration", result.ProtectedHeader!.Value.GetProperty("typ").GetString());
        using var operatorJwk = JsonWebKey.FromPublicKey(operatorKey.PublicKey);
        Assert.Equal(operatorJwk.Thumbprint(), result.Kid);
        var payload = System.Text.Json.Nodes.JsonNode.Parse(result.Payload)!.AsObject();
        Assert.Equal(["identity", "signing_key", "sealing_key", "aliases"], payload.Select(p => p.Key));
        Assert.Equal(keys.AuthorizedKeyLine(), payload["signing_key"]!.GetValue<string>());
        Assert.Equal("fermions-key-1", payload["aliases"]![0]!.GetValue<string>());
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {error}");
        return output;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
