using System.CommandLine;
using System.Text.Json.Nodes;
using Strongroom.Cli.Experimenter;
using Strongroom.Client;
using Strongroom.Crypto;
using Strongroom.Operator;
using StorageApi = Strongroom.Storage.V1;

namespace Strongroom.Cli.Commands;

/// <summary>
/// <c>strongroom client …</c>: an experimenter's keys (keygen, on the experimenter's machine) and
/// their registration (register, by an operator with the operator key storage pins). The client's
/// TLS certificate is a separate thing: <c>strongroom pki issue client/NAME</c> (and <c>pki renew</c>).
/// </summary>
public static class ClientCommands
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };

        var outDir = new Option<string>("--out") { Description = "Folder for the keys (created; every file 0600)", Required = true };
        var comment = new Option<string?>("--comment") { Description = "Comment on the OpenSSH public key line" };
        var keygen = new Command("keygen", "Generate an Ed25519 signing key (requests) and an X25519 sealing key (results) into a folder.") { outDir, comment, json };
        keygen.SetAction(r => Keygen(r.GetValue(outDir)!, r.GetValue(comment), r.GetValue(json), Console.Out, Console.Error));

        var state = new Option<string?>("--state") { Description = "State folder (default: .dev in the repository)" };
        var identity = new Option<string>("--identity") { Description = "The client to register, client/NAME", Required = true };
        var keys = new Option<string>("--keys") { Description = "The client's key folder (from 'client keygen'); only its public files (signing.pub, sealing.jwk.json) are read", Required = true };
        var asOperator = new Option<string>("--as") { Description = "Your operator identity (certificate in STATE/pki)", DefaultValueFactory = _ => "operator/admin" };
        var operatorKey = new Option<string?>("--operator-key") { Description = "Your Ed25519 operator signing key, base64 seed, 0600 (default: STATE/secrets/operator-admin.ed25519)" };
        var storage = new Option<string>("--storage") { Description = "storage, reached directly (never through the edge)", DefaultValueFactory = _ => "https://127.0.0.1:7404" };
        var register = new Command("register", "As an operator: sign the client's registration with the pinned operator key and send it to storage directly.")
        {
            identity, keys, state, asOperator, operatorKey, storage, json,
        };
        register.SetAction((r, ct) => ClientOptions.RunAsync(Console.Error, () => RegisterAsync(
            ClientOptions.ResolveState(r.GetValue(state)), r.GetValue(identity)!, r.GetValue(keys)!, r.GetValue(asOperator)!, r.GetValue(operatorKey), r.GetValue(storage)!, r.GetValue(json), Console.Out, ct)));

        return new Command("client", "Experimenter keys and their registration. Certificates: 'strongroom pki issue client/NAME' and 'strongroom pki renew client/NAME'.") { keygen, register };
    }

    public static int Keygen(string outDir, string? comment, bool json, TextWriter output, TextWriter error)
    {
        if (File.Exists(Path.Combine(outDir, ClientIdentityKeys.SigningKeyFile)) || File.Exists(Path.Combine(outDir, ClientIdentityKeys.SealingKeyFile)))
        {
            error.WriteLine($"{outDir} already holds client keys; keys are never overwritten: choose another --out folder");
            return ExitCodes.Failed;
        }

        using var keys = ClientIdentityKeys.Generate();
        keys.Save(outDir, comment);
        // The folder holds private keys: owner-only, like ~/.ssh.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(outDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var summary = new JsonObject
        {
            ["folder"] = Path.GetFullPath(outDir),
            ["authorized_key"] = keys.AuthorizedKeyLine(comment),
            ["openssh_fingerprint"] = keys.OpenSshFingerprint,
            ["signing_kid"] = keys.SigningKid,
            ["signing_jwk"] = JsonNode.Parse(keys.SigningPublicJwk()),
            ["sealing_kid"] = keys.SealingKid,
            ["sealing_jwk"] = JsonNode.Parse(keys.SealingPublicJwk()),
        };
        if (json)
        {
            ClientOptions.PrintJson(output, summary);
            return ExitCodes.Ok;
        }

        output.WriteLine($"wrote client keys to {Path.GetFullPath(outDir)} (files 0600; private keys never leave this folder)");
        output.WriteLine($"signing key (Ed25519, signs requests): {keys.AuthorizedKeyLine(comment)}");
        output.WriteLine($"  fingerprint {keys.OpenSshFingerprint}");
        output.WriteLine($"  kid {keys.SigningKid}");
        output.WriteLine($"  jwk {keys.SigningPublicJwk()}");
        output.WriteLine("sealing key (X25519, results are sealed to it):");
        output.WriteLine($"  kid {keys.SealingKid}");
        output.WriteLine($"  jwk {keys.SealingPublicJwk()}");
        output.WriteLine($"next: an operator runs 'strongroom client register --identity client/NAME --keys {outDir}' and 'strongroom pki issue client/NAME'");
        return ExitCodes.Ok;
    }

    public static async Task<int> RegisterAsync(string stateRoot, string identity, string keysDir, string asOperator, string? operatorKeyFile, string storageAddress, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        if (!identity.StartsWith("client/", StringComparison.Ordinal))
        {
            throw new ClientProblemException($"'{identity}' is not a client identity: use client/NAME", ExitCodes.Usage);
        }

        var keyFile = operatorKeyFile ?? Path.Combine(stateRoot, "secrets", "operator-admin.ed25519");
        if (!File.Exists(keyFile))
        {
            throw new ClientProblemException($"no operator signing key at {keyFile}: give --operator-key (the key whose public JWK storage pins in Storage:OperatorKeys)", ExitCodes.NotReady);
        }

        var keys = LoadPublicOnly(keysDir);
        using var operatorKey = LoadSeed(keyFile);
        using var connections = new ServiceConnections(Path.Combine(stateRoot, "pki"), asOperator);
        var storage = new StorageApi.Storage.StorageClient(connections.To(storageAddress, "storage"));
        var (signingKid, sealingKid, already) = await OperatorSetup.RegisterAsync(storage, operatorKey, identity, keys, cancellationToken);
        if (json)
        {
            ClientOptions.PrintJson(output, new JsonObject
            {
                ["identity"] = Strongroom.Pki.WorkloadIdentity.Prefix + identity,
                ["signing_kid"] = signingKid,
                ["sealing_kid"] = sealingKid,
                ["already_registered"] = already,
            });
        }
        else
        {
            output.WriteLine(already
                ? $"{identity} is already registered with these keys (signing kid {signingKid}, sealing kid {sealingKid})"
                : $"registered {identity}: signing kid {signingKid}, sealing kid {sealingKid}; the key log publishes them at its next checkpoint");
            output.WriteLine($"the client also needs a certificate ('strongroom pki issue {identity}') and the log verifier key ({Path.Combine(stateRoot, "pki", ClientFolder.LogVerifierKeyFileName)})");
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// Registration needs only the public halves; reading them (not the private files) means an
    /// operator can register a folder the experimenter sent without its private keys.
    /// </summary>
    private static ClientPublicKeys LoadPublicOnly(string keysDir)
    {
        if (File.Exists(Path.Combine(keysDir, ClientIdentityKeys.SigningPublicFile)) && File.Exists(Path.Combine(keysDir, ClientIdentityKeys.SealingJwkFile)))
        {
            return ClientPublicKeys.Load(keysDir);
        }

        throw new ClientProblemException($"no client keys in {keysDir}: the experimenter runs 'strongroom client keygen --out {keysDir}'", ExitCodes.NotReady);
    }

    private static Ed25519KeyPair LoadSeed(string path)
    {
        var seed = Convert.FromBase64String(File.ReadAllText(path).Trim());
        try
        {
            return Ed25519KeyPair.ImportSeed(seed);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
        }
    }
}
