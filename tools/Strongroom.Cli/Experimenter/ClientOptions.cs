using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Strongroom.Cli.Dev;
using Strongroom.Client;
using Strongroom.Operator;
using Strongroom.Stack;

namespace Strongroom.Cli.Experimenter;

/// <summary>
/// The options every experimenter command shares. Defaults point at the dev stack: state in
/// <c>.dev/</c> of the repository (or of the working directory outside one), the edge on 7443.
/// </summary>
public sealed class ClientOptions
{
    public Option<string?> State { get; } = new("--state") { Description = "State folder holding pki/ and clients/ (default: .dev in the repository)" };

    public Option<string> Identity { get; } = new("--identity") { Description = "Your identity, client/NAME (certificate in STATE/pki, keys in STATE/clients/NAME)", DefaultValueFactory = _ => DevDemo.DemoClient };

    public Option<string?> Keys { get; } = new("--keys") { Description = "Client key folder (default: STATE/clients/NAME)" };

    public Option<string> Edge { get; } = new("--edge") { Description = "The edge's address", DefaultValueFactory = _ => "https://127.0.0.1:7443" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON (one object; watch prints one per line)" };

    public void AddTo(Command command, bool keys = true)
    {
        command.Options.Add(State);
        command.Options.Add(Identity);
        if (keys)
        {
            command.Options.Add(Keys);
        }

        command.Options.Add(Edge);
        command.Options.Add(Json);
    }

    public ClientFolder Paths(ParseResult r) => new(ResolveState(r.GetValue(State)), r.GetValue(Identity)!, r.GetValue(Keys));

    /// <summary>The given folder, else <c>.dev</c> in the repository, else <c>.dev</c> here.</summary>
    public static string ResolveState(string? state)
    {
        if (state is not null)
        {
            return Path.GetFullPath(state);
        }

        try
        {
            return Path.Combine(DevLayout.FindRepoRoot(Environment.CurrentDirectory), ".dev");
        }
        catch (InvalidOperationException)
        {
            return Path.GetFullPath(".dev");
        }
    }

    /// <summary>
    /// Runs a command body and turns what can go wrong into one line on stderr saying what to do
    /// next, and an exit code from <see cref="ExitCodes"/>.
    /// </summary>
    public static async Task<int> RunAsync(TextWriter error, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ClientProblemException ex)
        {
            error.WriteLine(ex.Message);
            return ex.ExitCode;
        }
        catch (RegistrationConflictException ex)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.Failed;
        }
        catch (KeyLogVerificationException ex)
        {
            error.WriteLine($"key log not believed: {ex.Message}");
            return ExitCodes.Unverified;
        }
        catch (ResultVerificationException ex)
        {
            error.WriteLine($"result refused ({ex.Failure}): {ex.Message}");
            return ExitCodes.Unverified;
        }
        catch (RpcException ex)
        {
            error.WriteLine($"{ex.StatusCode}: {ex.Status.Detail}{Hint(ex.StatusCode)}");
            return ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? ExitCodes.NotReady : ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or JsonException or FormatException or Strongroom.Crypto.CryptoException)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.Failed;
        }
        catch (ArgumentException ex)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.Usage;
        }
    }

    internal static string Hint(StatusCode code) => code switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded => "; is the stack up and is --edge right? 'strongroom doctor' checks certificates, clock and every service",
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => "; check your certificate and identity with 'strongroom doctor' (renew: 'strongroom pki renew client/NAME')",
        StatusCode.FailedPrecondition => "; your keys may not be registered yet: an operator runs 'strongroom client register'",
        StatusCode.ResourceExhausted => "; the runner is busy or you are rate limited: retry later",
        _ => "",
    };

    public static void PrintJson(TextWriter output, JsonObject obj) => output.WriteLine(obj.ToJsonString());
}
