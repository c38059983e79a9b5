using Strongroom.Cli.Commands;
using Strongroom.KeyAdmin.V1;
using Strongroom.Stack;

namespace Strongroom.Cli.Tests;

/// <summary>`strongroom key …` without a stack: which service and address a command targets, and which kind it asks for.</summary>
public sealed class KeyCommandTests
{
    [Fact]
    public void The_service_names_the_expected_server_identity_and_its_dev_admin_listener()
    {
        Assert.Equal(($"https://127.0.0.1:{ServiceSpec.KeyService.DevAdminPort}", "keyservice"), KeyCommands.Target("keyservice", null));
        Assert.Equal(($"https://127.0.0.1:{ServiceSpec.Signer.DevAdminPort}", "signer"), KeyCommands.Target("signer", ""));
    }

    [Fact]
    public void An_admin_address_replaces_the_dev_listener_but_not_the_identity_the_server_must_prove()
    {
        Assert.Equal(("https://signer.example:8443", "signer"), KeyCommands.Target("signer", "https://signer.example:8443"));
    }

    [Fact]
    public void Only_the_services_that_serve_key_admin_can_be_targeted()
    {
        Assert.Throws<ArgumentException>(() => KeyCommands.Target("kms", null));
        Assert.Equal(["keyservice", "signer"], KeyCommands.AdminServices.Select(s => s.Name));
    }

    [Theory]
    [InlineData(null, "keyservice", KeyKind.X25519)]
    [InlineData(null, "signer", KeyKind.Ed25519)]
    [InlineData("rsa-4096", "keyservice", KeyKind.Rsa4096)]
    [InlineData("ed25519", "signer", KeyKind.Ed25519)]
    [InlineData("x25519", "signer", KeyKind.X25519)] // sent as asked: the signer refuses it, naming the kinds it holds
    [InlineData("dsa", "keyservice", KeyKind.Unspecified)]
    public void Kind_defaults_to_the_services_usual_kind(string? kind, string service, KeyKind expected)
    {
        Assert.Equal(expected, KeyCommands.Kind(kind, service));
    }

    [Theory]
    [InlineData("list", "--service", "kms")]
    [InlineData("import-studioml", "x", "--service", "signer", "--pem", "p", "--passphrase-file", "f")] // keyservice's own
    public async Task A_service_that_cannot_answer_is_a_usage_error_before_anything_is_sent(params string[] args)
    {
        var error = new StringWriter();

        var code = await KeyCommands.Build(TextWriter.Null, error).Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(ExitCodes.Ok, code);
    }
}
