using System.CommandLine;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Strongroom.Cli.Experimenter;
using Strongroom.Client;
using Strongroom.KeyAdmin.V1;
using Strongroom.Operator;
using Strongroom.Stack;
using GetPublicKeyRequest = Strongroom.KeyService.V1.GetPublicKeyRequest;

namespace Strongroom.Cli.Commands;

/// <summary>
/// <c>strongroom key …</c>: the keys of keyservice or signer (<c>--service</c>), administered as an
/// operator over that service's admin listener through the one KeyAdmin API; <c>import-studioml</c>
/// is keyservice's own.
/// </summary>
public static class KeyCommands
{
    /// <summary>The services that serve KeyAdmin, each with its dev admin port: the expected server identity is the service's name.</summary>
    public static IReadOnlyList<ServiceSpec> AdminServices { get; } = [ServiceSpec.KeyService, ServiceSpec.Signer];

    /// <summary>
    /// Where <c>--service</c> and <c>--admin</c> point: the admin address (the service's dev admin
    /// listener unless given) and the identity its certificate must carry, so the CLI never talks
    /// key administration to a service it did not mean.
    /// </summary>
    public static (string Address, string Identity) Target(string service, string? admin)
    {
        var spec = AdminServices.FirstOrDefault(s => s.Name == service)
            ?? throw new ArgumentException($"--service must be {string.Join(" or ", AdminServices.Select(s => s.Name))}, not '{service}'", nameof(service));
        return (string.IsNullOrEmpty(admin) ? $"https://127.0.0.1:{spec.DevAdminPort}" : admin, spec.Name);
    }

    /// <summary>The KeyAdmin kind for <c>--kind</c>; none means the service's usual one (keyservice X25519, signer Ed25519).</summary>
    public static KeyKind Kind(string? kind, string service) => kind switch
    {
        null or "" => service == ServiceSpec.Signer.Name ? KeyKind.Ed25519 : KeyKind.X25519,
        "rsa-4096" => KeyKind.Rsa4096,
        "x25519" => KeyKind.X25519,
        "ed25519" => KeyKind.Ed25519,
        _ => KeyKind.Unspecified, // the service names the kinds it holds
    };

    public static Command Build() => Build(Console.Out, Console.Error);

    public static Command Build(TextWriter output, TextWriter error)
    {
        var pki = new Option<string>("--pki") { Description = "PKI folder holding your certificate", DefaultValueFactory = _ => PkiCommands.DefaultDirectory };
        var identity = new Option<string>("--as") { Description = "Your identity (an operator)", DefaultValueFactory = _ => "operator/admin" };
        var service = new Option<string>("--service") { Description = "Whose keys: keyservice or signer (the identity its admin listener must prove)", DefaultValueFactory = _ => ServiceSpec.KeyService.Name };
        service.AcceptOnlyFromAmong([.. AdminServices.Select(s => s.Name)]);
        var admin = new Option<string?>("--admin") { Description = "The service's admin listener (default: its dev port, keyservice 7412, signer 7413)" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var name = new Argument<string>("name") { Description = "Key name" };
        var version = new Argument<uint>("version") { Description = "Key version" };
        var kind = new Option<string?>("--kind") { Description = "rsa-4096 or x25519 (keyservice, default x25519); ed25519 (signer, the default there)" };
        var rotationDays = new Option<int>("--rotation-days") { Description = "Automatic rotation period in days (default 90; 0 with rotation-period turns it off)" };
        var graceSeconds = new Option<long>("--destroy-grace-seconds") { Description = "Grace before a scheduled destroy happens (default 1 day)" };
        var reason = new Option<string>("--reason") { Description = "Why the version is revoked (key log and audit log)" };
        var pem = new Option<string>("--pem") { Description = "The StudioML runner key: PKCS#1 PEM, legacy OpenSSL encryption", Required = true };
        var passphraseFile = new Option<string>("--passphrase-file") { Description = "File holding the PEM passphrase (read locally, never sent)", Required = true };

        // One path for every key command: resolve the target, connect as the operator, print the answer.
        Command Admin(string verb, string description, Func<CallInvoker, ParseResult, CancellationToken, Task<IMessage>> call, bool keyServiceOnly, params Symbol[] symbols)
        {
            var command = new Command(verb, description) { pki, identity, admin, json };
            if (!keyServiceOnly)
            {
                command.Options.Add(service);
            }

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
                var (address, expected) = Target(keyServiceOnly ? ServiceSpec.KeyService.Name : r.GetValue(service)!, r.GetValue(admin));
                using var connections = new ServiceConnections(r.GetValue(pki)!, r.GetValue(identity)!);
                try
                {
                    Print(output, await call(connections.To(address, expected), r, ct), r.GetValue(json));
                    return ExitCodes.Ok;
                }
                catch (RpcException ex)
                {
                    error.WriteLine($"{expected}: {ex.StatusCode}: {ex.Status.Detail}");
                    return ExitCodes.Failed;
                }
                catch (System.Security.Cryptography.CryptographicException ex)
                {
                    error.WriteLine(ex.Message);
                    return ExitCodes.Failed;
                }
            });
            return command;
        }

        Command Keys(string verb, string description, Func<KeyAdmin.V1.KeyAdmin.KeyAdminClient, ParseResult, CancellationToken, Task<IMessage>> call, params Symbol[] symbols) =>
            Admin(verb, description, (invoker, r, ct) => call(new KeyAdmin.V1.KeyAdmin.KeyAdminClient(invoker), r, ct), keyServiceOnly: false, symbols);

        var key = new Command("key", "keyservice or signer keys (operators, over the service's admin listener).")
        {
            Keys("create", "Create a key (and its own kms CryptoKey) with version 1.", async (c, r, ct) => await c.CreateKeyAsync(new CreateKeyRequest
            {
                KeyName = r.GetValue(name)!,
                Kind = Kind(r.GetValue(kind), r.GetValue(service)!),
                RotationPeriodSeconds = r.GetValue(rotationDays) * 86400L,
                DestroyScheduledSeconds = r.GetValue(graceSeconds),
            }, cancellationToken: ct), name, kind, rotationDays, graceSeconds),
            Keys("rotate", "Add a version and make it primary.", async (c, r, ct) => await c.RotateKeyAsync(new RotateKeyRequest { KeyName = r.GetValue(name)! }, cancellationToken: ct), name),
            Keys("get", "Show a key and its versions.", async (c, r, ct) => await c.GetKeyAsync(new GetKeyRequest { KeyName = r.GetValue(name)! }, cancellationToken: ct), name),
            Keys("list", "List keys.", async (c, r, ct) => await c.ListKeysAsync(new ListKeysRequest(), cancellationToken: ct)),
            Keys("disable", "Disable a (non-primary) version.", async (c, r, ct) => await c.DisableKeyVersionAsync(new DisableKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Keys("enable", "Enable a disabled version.", async (c, r, ct) => await c.EnableKeyVersionAsync(new EnableKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Keys("destroy", "Schedule destruction of a version (and its kms version) after the grace period.", async (c, r, ct) => await c.ScheduleDestroyKeyVersionAsync(new ScheduleDestroyKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Keys("restore", "Cancel a scheduled destruction (the version comes back disabled).", async (c, r, ct) => await c.RestoreKeyVersionAsync(new RestoreKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version) }, cancellationToken: ct), name, version),
            Keys("revoke", "Revoke a compromised version in the key log (and disable it); destroy it separately.", async (c, r, ct) => await c.RevokeKeyVersionAsync(new RevokeKeyVersionRequest { KeyName = r.GetValue(name)!, Version = r.GetValue(version), Reason = r.GetValue(reason) ?? "" }, cancellationToken: ct), name, version, reason),
            Keys("min-version", "Refuse versions below this one.", async (c, r, ct) => await c.SetMinimumVersionAsync(new SetMinimumVersionRequest { KeyName = r.GetValue(name)!, MinimumVersion = r.GetValue(version) }, cancellationToken: ct), name, version),
            Keys("rotation-period", "Change the automatic rotation period (--rotation-days 0 turns it off).", async (c, r, ct) => await c.SetRotationPeriodAsync(new SetRotationPeriodRequest { KeyName = r.GetValue(name)!, RotationPeriodSeconds = r.GetValue(rotationDays) * 86400L }, cancellationToken: ct), name, rotationDays),
            Admin("import-studioml", "Import the StudioML runner key pair into keyservice from its encrypted PEM (decrypted here; only HPKE-sealed bytes are sent).", async (invoker, r, ct) =>
                await StudioMlImport.RunAsync(invoker, r.GetValue(name)!, await File.ReadAllTextAsync(r.GetValue(pem)!, ct), (await File.ReadAllTextAsync(r.GetValue(passphraseFile)!, ct)).TrimEnd('\r', '\n').ToCharArray(), ct),
                keyServiceOnly: true, name, pem, passphraseFile),
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

    private static void Print(TextWriter output, IMessage message, bool json)
    {
        var text = Google.Protobuf.JsonFormatter.Default.Format(message);
        if (json)
        {
            output.WriteLine(text);
            return;
        }

        using var doc = JsonDocument.Parse(text);
        output.WriteLine(JsonSerializer.Serialize(doc.RootElement, PrettyJson));
    }

    private static readonly JsonSerializerOptions PrettyJson = new() { WriteIndented = true };
}
