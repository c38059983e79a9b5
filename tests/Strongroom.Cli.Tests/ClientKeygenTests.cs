using System.Text.Json;
using Strongroom.Cli;
using Strongroom.Cli.Commands;
using Strongroom.Client;

namespace Strongroom.Cli.Tests;

/// <summary>`strongroom client keygen`: what it writes, who can read it, and that it never overwrites keys.</summary>
public sealed class ClientKeygenTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "strongroom-cli-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Keygen_writes_every_key_file_owner_only_in_an_owner_only_folder()
    {
        Assert.Equal(ExitCodes.Ok, ClientCommands.Keygen(_dir, "alice@lab", json: false, TextWriter.Null, TextWriter.Null));

        foreach (var file in new[] { ClientIdentityKeys.SigningKeyFile, ClientIdentityKeys.SigningPublicFile, ClientIdentityKeys.SigningJwkFile, ClientIdentityKeys.SealingKeyFile, ClientIdentityKeys.SealingJwkFile })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, file)));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----", File.ReadAllText(Path.Combine(_dir, ClientIdentityKeys.SigningKeyFile)));
    }

    [Fact]
    public void Keygen_json_names_the_kids_fingerprint_and_public_keys_of_the_saved_keys_and_no_private_member()
    {
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Ok, ClientCommands.Keygen(_dir, null, json: true, output, TextWriter.Null));

        using var printed = JsonDocument.Parse(output.ToString());
        using var saved = ClientIdentityKeys.Load(_dir);
        var root = printed.RootElement;
        Assert.Equal(saved.SigningKid, root.GetProperty("signing_kid").GetString());
        Assert.Equal(saved.SealingKid, root.GetProperty("sealing_kid").GetString());
        Assert.Equal(saved.OpenSshFingerprint, root.GetProperty("openssh_fingerprint").GetString());
        Assert.Equal(saved.AuthorizedKeyLine(), root.GetProperty("authorized_key").GetString());
        Assert.Equal("X25519", root.GetProperty("sealing_jwk").GetProperty("crv").GetString());
        Assert.False(root.GetProperty("sealing_jwk").TryGetProperty("d", out _));
        Assert.False(root.GetProperty("signing_jwk").TryGetProperty("d", out _));
    }

    [Fact]
    public void Keygen_refuses_a_folder_that_already_holds_keys_and_leaves_them_untouched()
    {
        Assert.Equal(ExitCodes.Ok, ClientCommands.Keygen(_dir, null, json: false, TextWriter.Null, TextWriter.Null));
        var before = File.ReadAllText(Path.Combine(_dir, ClientIdentityKeys.SigningKeyFile));
        var error = new StringWriter();

        Assert.Equal(ExitCodes.Failed, ClientCommands.Keygen(_dir, null, json: false, TextWriter.Null, error));

        Assert.Contains("never overwritten", error.ToString());
        Assert.Equal(before, File.ReadAllText(Path.Combine(_dir, ClientIdentityKeys.SigningKeyFile)));
    }
}
