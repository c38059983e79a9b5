using Strongroom.Pki;

namespace Strongroom.Stack;

/// <summary>A deployment's PKI folder: its CA (created once) and a certificate for every default identity that has none.</summary>
public static class StackPki
{
    public static void Ensure(string directory, string deployment, int days, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var pki = new PkiDirectory(directory);
        output.WriteLine(pki.EnsureCa(deployment)
            ? $"created CA in {pki.Root}/ca (key 0600, folder 0700; mount it into no service)"
            : $"CA exists in {pki.Root}/ca");
        foreach (var id in PkiDirectory.DefaultIdentities())
        {
            if (File.Exists(pki.CertificatePath(id)))
            {
                continue;
            }

            using var cert = pki.Issue(id, TimeSpan.FromDays(days));
            output.WriteLine($"issued {id} (expires {cert.NotAfter:u})");
        }
    }

    /// <summary>Issues (or renews) the certificate of <paramref name="identity"/> (short form, e.g. <c>client/alice</c>) from the folder's CA.</summary>
    public static void Issue(string directory, string identity, int days)
    {
        var pki = new PkiDirectory(directory);
        using var cert = pki.Issue(WorkloadIdentity.ParseShort(identity), TimeSpan.FromDays(days));
    }
}
