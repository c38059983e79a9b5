using System.CommandLine;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Cli.Experimenter;
using Strongroom.Client;
using Strongroom.KeyService.V1;
using Strongroom.Operator;

namespace Strongroom.Cli.Commands;

/// <summary><c>strongroom key …</c>: keyservice keys, administered as an operator over the admin listener.</summary>
public static class KeyCommands
{
    public static Command Build()
    {
        var pki = new Option<string>("--pki") { Description = "PKI folder holding your certificate", DefaultValueFactory = _ => PkiCommands.DefaultDirectory };
        var identity = new Option<string>("--as") { Description = "Your identity (an operator)", DefaultValueFactory = _ => "operator/admin" };
        var admin = new Option<string>("--admin") { Description = "keyservice admin listener", DefaultValueFactory = _ => "https://127.0.0.1:7412" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var name = new Argument<string>("name") { Description = "Key name" };
        var version = new Argument<uint>("version") { Description = "Key version" };
        var kind = new Option<string>("--kind") { Description = "rsa-4096 or x25519", DefaultValueFactory = _ => "x25519" };
        var rotationDays = new Option<int>("--rotation-days") { Description = "Automatic rotation period in days (default 90)" };
        var graceSeconds = new Option<long>("--destroy-grace-seconds") { Description = "Grace before a scheduled destroy happens (default 1 day)" };
        var pem = new Option<string>("--pem") { Description = "The StudioML runner key: PKCS#1 PEM, legacy OpenSSL encryption", Required = true };
        var passphraseFile = new Option<string>("--passphrase-file") { Description = "File holding the PEM passphrase (read locally, never sent)", Required = true };

        Command Admin(string verb, string description, Func<KeyServiceAdmin.KeyServiceAdminClient, ParseResult, CancellationToken, Task<IMessage>> call, params Symbol[] symbols)
        {
            var command = new Command(verb, description) { pki, identity, admin, json };
            foreach (var s in symbols)
            {
                switch (s)
                {
                    case Argument a:
                        command.Arguments.Add(a);
                        break;
                    case Option o:
                        command.Options.Add(o);
                        break;
                }
            }

            command.SetAction(async (r, ct) =>
            {
                using var connections = new ServiceConnections(r.GetValue(pki)!, r.GetValue(identity)!);
                var client = new KeyServiceAdmin.KeyServiceAdminClient(connections.To(r.GetValue(admin)!, "keyservice"));
                try
                {
                    Print(await call(client, r, ct), r.GetValue(json));
                    return ExitCodes.Ok;
                }
                catch (RpcException ex)
                {
                    Console.Error.WriteLine($"keyservice: {ex.StatusCode}: {ex.Status.Detail}");
                    return ExitCodes.Failed;
                }
                catch (System.Security.Cryptography.CryptographicException ex)
                {
                    Console.Error.WriteLine(ex.Message);
                    return ExitCodes.Failed;
                }
            });
            return command;
        }

        var key = new Command("key", "keyservice keys (operators, over the admin listener).")
        {
            Admin("create", "Create a key (and its own kms CryptoKey) with version 1.", async (c, r, ct) => await c.CreateKeyAsync(new CreateKeyRequest
            {
                KeyName = r.GetValue(name)!,
                Kind = r.GetValue(kind) switch { "rsa-4096" => KeyKind.Rsa4096, "x25519" => KeyKind.X25519, _ => KeyKind.Unspecified },
                RotationPeriodSeconds = r.GetValue(rotationDays) * 86400L,
                DestroyScheduledSeconds = r.GetValue(graceSeconds),
            }, cancellationToken: ct), name, kind, rotationDays, graceSeconds),
            Admin("rotate", "Add a version and make it primary.", async (c, r, ct) => await c.RotateKeyAsync(new RotateKeyRequest { KeyName = r.GetValue(name)! }, cancellationToken: ct), name),
            Admin("get", "Show a key and its versions.", async (c, r, ct) => await c.GetKeyAsync(new GetKeyRequest { KeyName = r.GetValue(name)! }, cancellationToken: ct), name),
            Admin("list", "List keys.", async (c, r, ct) => await c.ListKeysAsync(new ListKeysRequest(), cancellationToken: ct)),
            Admin("disable", "Disable a (non-primary) version.", async (c, r, ct) => await c.DisableKeyVersionAsync(new DisableKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Admin("enable", "Enable a disabled version.", async (c, r, ct) => await c.EnableKeyVersionAsync(new EnableKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Admin("destroy", "Schedule destruction of a version (and its kms version) after the grace period.", async (c, r, ct) => await c.ScheduleDestroyKeyVersionAsync(new ScheduleDestroyKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Admin("restore", "Cancel a scheduled destruction (the version comes back disabled).", async (c, r, ct) => await c.RestoreKeyVersionAsync(new RestoreKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Admin("min-version", "Refuse versions below this one.", async (c, r, ct) => await c.SetMinimumVersionAsync(new SetMinimumVersionRequest { KeyName = r.GetValue(name)!, MinimumVersion = r.GetValue(version) }, cancellationToken: ct), name, version),
            Admin("import-studioml", "Import the StudioML runner key pair from its encrypted PEM (decrypted here; only HPKE-sealed bytes are sent).", async (c, r, ct) =>
                await StudioMlImport.RunAsync(c, r.GetValue(name)!, await File.ReadAllTextAsync(r.GetValue(pem)!, ct), (await File.ReadAllTextAsync(r.GetValue(passphraseFile)!, ct)).TrimEnd('\r', '\n').ToCharArray(), ct),
                name, pem, passphraseFile),
        };
        key.Subcommands.Add(BuildPem());
        return key;
    }

    /// <summary>
    /// <c>key pem</c>: what a StudioML client pins, read through the edge as a client and checked
    /// against the pinned key log (so neither keyservice nor the edge can hand out a key of its own).
    /// </summary>
    private static Command BuildPem()
    {
        var common = new ClientOptions();
        var keyName = new Option<string>("--name") { Description = "keyservice key name", DefaultValueFactory = _ => RecipientKeys.DefaultStudioMlKeyName };
        var pem = new Command("pem", "Print the runner's StudioML public key as the PKCS#1 PEM StudioML clients pin (through the edge, checked against the key log).") { keyName };
        common.AddTo(pem, keys: false);
        pem.SetAction((r, ct) => ClientOptions.RunAsync(Console.Error, () =>
            PemAsync(common.Paths(r), r.GetValue(common.Edge)!, r.GetValue(keyName)!, r.GetValue(common.Json), Console.Out, Console.Error, ct)));
        return pem;
    }

    public static async Task<int> PemAsync(ClientFolder paths, string edge, string keyName, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!File.Exists(paths.LogVerifierKeyFile))
        {
            throw new ClientProblemException($"no key-log verifier key at {paths.LogVerifierKeyFile}: ask an operator for it (dev: 'strongroom dev up' writes it)", ExitCodes.NotReady);
        }

        using var connection = new StrongroomConnection(paths.Pki, paths.Identity, edge);
        // No pin file: printing a PEM needs no client keys, only a fresh proof against the log key.
        using var log = StrongroomClient.OpenLog(connection.KeyLog, paths.LogVerifierKeyFile, pinFile: null);
        using var verified = await RecipientKeys.FetchStudioMlKeyAsync(connection.PublicKeys, log, keyName, cancellationToken: cancellationToken);
        var answered = (await connection.KeyService.GetPublicKeyAsync(new GetPublicKeyRequest { KeyName = keyName }, cancellationToken: cancellationToken)).PublicKey;
        // The PEM printed is the one checked: its own thumbprint must be the kid the key log proved.
        using (var rsa = System.Security.Cryptography.RSA.Create())
        {
            rsa.ImportFromPem(answered.Pkcs1Pem);
            using var jwk = Strongroom.Crypto.JsonWebKey.FromPublicKey(rsa);
            if (jwk.Thumbprint() != verified.Kid)
            {
                throw new ClientProblemException($"keyservice's PEM for '{keyName}' is not the key the key log proves ({verified.Kid}); if the key was just rotated run again, otherwise tell the operators", ExitCodes.Unverified);
            }
        }

        error.WriteLine($"warning: this is version {answered.Version} of '{keyName}' (kid {answered.Kid}); rotating the key changes the PEM, and StudioML clients pinning the old one must be given the new one");
        if (json)
        {
            ClientOptions.PrintJson(output, new System.Text.Json.Nodes.JsonObject
            {
                ["key_name"] = keyName,
                ["version"] = answered.Version,
                ["kid"] = answered.Kid,
                ["pkcs1_pem"] = answered.Pkcs1Pem,
                ["spki_pem"] = answered.SpkiPem,
            });
        }
        else
        {
            output.Write(answered.Pkcs1Pem.EndsWith('\n') ? answered.Pkcs1Pem : answered.Pkcs1Pem + "\n");
        }

        return ExitCodes.Ok;
    }

    private static void Print(IMessage message, bool json)
    {
        var text = Google.Protobuf.JsonFormatter.Default.Format(message);
        if (json)
        {
            Console.WriteLine(text);
            return;
        }

        using var doc = JsonDocument.Parse(text);
        Console.WriteLine(JsonSerializer.Serialize(doc.RootElement, PrettyJson));
    }

    private static readonly JsonSerializerOptions PrettyJson = new() { WriteIndented = true };
}
