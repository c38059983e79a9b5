using System.Text.RegularExpressions;

namespace Strongroom.Client;

/// <summary>
/// Where an experimenter's things live in a state folder (dev: <c>.dev/</c>):
/// <list type="bullet">
/// <item><c>pki/</c>: certificates (<c>client-NAME/tls.crt</c>) and <c>log-verifier.key</c>, the key-log
/// verifier key the operator hands out;</item>
/// <item><c>clients/NAME/</c> (or the folder given as <c>keysDirectory</c>): the client's signing and
/// sealing keys (0600), <c>keylog.pin</c> (the pinned checkpoint) and <c>jobs/JOB_ID.json</c> (what was
/// sent, to verify the result against).</item>
/// </list>
/// </summary>
public sealed partial class ClientFolder(string stateRoot, string identity, string? keysDirectory = null)
{
    public const string LogVerifierKeyFileName = "log-verifier.key";

    public string StateRoot { get; } = System.IO.Path.GetFullPath(stateRoot);

    /// <summary>Short form, e.g. <c>client/demo</c>.</summary>
    public string Identity { get; } = identity;

    public string Pki => System.IO.Path.Combine(StateRoot, "pki");

    public string LogVerifierKeyFile => System.IO.Path.Combine(Pki, LogVerifierKeyFileName);

    public string Name => NameOf(Identity);

    public string Keys { get; } = System.IO.Path.GetFullPath(keysDirectory ?? System.IO.Path.Combine(stateRoot, "clients", NameOf(identity)));

    public string PinFile => System.IO.Path.Combine(Keys, "keylog.pin");

    public string Jobs => System.IO.Path.Combine(Keys, "jobs");

    /// <summary>The record of one job; a job id that could name another path is refused.</summary>
    public string JobRecord(string jobId) =>
        JobIdPattern().IsMatch(jobId) ? System.IO.Path.Combine(Jobs, jobId + ".json") : throw new ArgumentException($"'{jobId}' is not a job id", nameof(jobId));

    private static string NameOf(string identity) =>
        identity.StartsWith("client/", StringComparison.Ordinal) ? identity["client/".Length..] : identity.Replace('/', '-');

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex JobIdPattern();
}
