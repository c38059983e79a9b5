using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Strongroom.Pki;
using Strongroom.Stack;

namespace Strongroom.Cli.Commands;

/// <summary>
/// <c>strongroom pki …</c>: the deployment CA and workload certificates. Runs on the operator's
/// machine; no service ever needs the CA key.
/// </summary>
public static class PkiCommands
{
    public const string DefaultDirectory = ".dev/pki";

    public static Command Build()
    {
        var dir = new Option<string>("--dir") { Description = "PKI folder", DefaultValueFactory = _ => DefaultDirectory };
        var deployment = new Option<string>("--deployment") { Description = "Deployment name in the CA subject", DefaultValueFactory = _ => "dev" };
        var days = new Option<int>("--days") { Description = "Certificate lifetime in days", DefaultValueFactory = _ => 7 };
        var identity = new Argument<string>("identity") { Description = "kms|keyservice|signer|storage|runner|edge, client/NAME or operator/NAME" };

        var init = new Command("init", "Create the deployment CA (if absent) and certificates for every service, a demo client and an operator.")
        {
            dir, deployment, days,
        };
        init.SetAction(r => Init(r.GetValue(dir)!, r.GetValue(deployment)!, r.GetValue(days), Console.Out));

        var issue = new Command("issue", "Issue a certificate for an identity (e.g. client/alice, operator/bob).") { identity, dir, days };
        issue.SetAction(r => Issue(r.GetValue(dir)!, r.GetValue(identity)!, r.GetValue(days), Console.Out, Console.Error));

        var renew = new Command("renew", "Renew an identity's certificate with a fresh key; running services pick it up without restart.")
        {
            identity, dir, days,
        };
        renew.SetAction(r => Issue(r.GetValue(dir)!, r.GetValue(identity)!, r.GetValue(days), Console.Out, Console.Error));

        var list = new Command("list", "List the identities in the PKI folder and when their certificates expire.") { dir };
        list.SetAction(r => List(r.GetValue(dir)!, Console.Out));

        return new Command("pki", "Deployment CA and workload certificates.") { init, issue, renew, list };
    }

    public static int Init(string dir, string deployment, int days, TextWriter output)
    {
        StackPki.Ensure(dir, deployment, days, output);
        return ExitCodes.Ok;
    }

    public static int Issue(string dir, string identity, int days, TextWriter output, TextWriter error)
    {
        if (!WorkloadIdentity.TryParse(identity.StartsWith(WorkloadIdentity.Prefix, StringComparison.Ordinal) ? identity : WorkloadIdentity.Prefix + identity, out var id))
        {
            error.WriteLine($"'{identity}' is not a Strongroom identity: use a service name, client/NAME or operator/NAME (lowercase letters, digits, '-')");
            return ExitCodes.Usage;
        }

        var pki = new PkiDirectory(dir);
        if (!pki.HasCa)
        {
            error.WriteLine($"no CA in {pki.Root}: run 'strongroom pki init --dir {dir}' first");
            return ExitCodes.Failed;
        }

        using var cert = pki.Issue(id, TimeSpan.FromDays(days));
        output.WriteLine($"issued {id}: {pki.CertificatePath(id)} (expires {cert.NotAfter:u}), key {pki.KeyPath(id)} (0600)");
        return ExitCodes.Ok;
    }

    public static int List(string dir, TextWriter output)
    {
        var pki = new PkiDirectory(dir);
        if (!Directory.Exists(pki.Root))
        {
            output.WriteLine($"no PKI in {pki.Root}");
            return ExitCodes.Failed;
        }

        foreach (var folder in Directory.GetDirectories(pki.Root).Order(StringComparer.Ordinal))
        {
            var certPath = Path.Combine(folder, "tls.crt");
            if (!File.Exists(certPath))
            {
                continue;
            }

            using var cert = X509CertificateLoader.LoadCertificateFromFile(certPath);
            var name = CertificateIdentity.TryGetIdentity(cert, out var id, out _) ? id!.ToString() : "(no identity)";
            output.WriteLine($"{name,-45} expires {cert.NotAfter.ToUniversalTime():u}");
        }

        return ExitCodes.Ok;
    }
}
