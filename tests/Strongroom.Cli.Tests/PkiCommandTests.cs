using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Strongroom.Cli;
using Strongroom.Cli.Commands;
using Strongroom.Pki;
using Strongroom.Testing;

namespace Strongroom.Cli.Tests;

/// <summary>The dev PKI the CLI makes: what it issues, where keys live, and who can read them.</summary>
public sealed class PkiCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "strongroom-cli-pki-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private PkiDirectory Init()
    {
        Assert.Equal(ExitCodes.Ok, PkiCommands.Init(_dir, "test", 7, TextWriter.Null));
        return new PkiDirectory(_dir);
    }

    [Fact]
    public void Init_issues_every_service_a_demo_client_and_an_operator()
    {
        var pki = Init();

        foreach (var id in PkiDirectory.DefaultIdentities())
        {
            using var cert = X509CertificateLoader.LoadCertificateFromFile(pki.CertificatePath(id));
            Assert.True(CertificateIdentity.TryGetIdentity(cert, out var parsed, out _));
            Assert.Equal(id, parsed);
        }
    }

    [Fact]
    public void Private_keys_are_owner_only_and_the_ca_key_lives_in_its_own_folder()
    {
        var pki = Init();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pki.CaKeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(pki.CaKeyPath)!));
        foreach (var id in PkiDirectory.DefaultIdentities())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pki.KeyPath(id)));
            // A service mounts its own folder plus the trust bundle: no CA key can be in either.
            var folder = Path.GetDirectoryName(pki.KeyPath(id))!;
            Assert.Equal(["tls.crt", "tls.key"], Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToArray());
        }

        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(pki.TrustBundlePath));
    }

    [Fact]
    public void Services_get_server_and_client_auth_while_clients_and_operators_get_client_auth_only()
    {
        var pki = Init();

        foreach (var id in PkiDirectory.DefaultIdentities())
        {
            using var cert = X509CertificateLoader.LoadCertificateFromFile(pki.CertificatePath(id));
            Assert.True(CertificateIdentity.HasExtendedKeyUsage(cert, CertificateIdentity.ClientAuthOid));
            Assert.Equal(id.IsService, CertificateIdentity.HasExtendedKeyUsage(cert, CertificateIdentity.ServerAuthOid));
            Assert.True(cert.NotAfter - cert.NotBefore <= TimeSpan.FromDays(7.01));
        }
    }

    [Fact]
    public void The_ca_carries_a_critical_name_constraint_permitting_only_uri_host_strongroom()
    {
        var pki = Init();
        using var ca = X509CertificateLoader.LoadCertificateFromFile(pki.TrustBundlePath);

        var ext = Assert.Single(ca.Extensions.Cast<X509Extension>(), e => e.Oid?.Value == CertificateAuthority.NameConstraintsOid);
        Assert.True(ext.Critical);
        // SEQUENCE { [0] { SEQUENCE { [6] "strongroom" } } }
        Assert.Equal("3010A00E300C860A" + Convert.ToHexString("strongroom"u8), Convert.ToHexString(ext.RawData));
    }

    [Theory]
    [InlineData("spiffe://elsewhere/runner")]
    [InlineData("spiffe://strongroom.evil/runner")]
    public void A_leaf_outside_the_name_constraint_fails_chain_validation_even_though_the_ca_signed_it(string uri)
    {
        var pki = Init();
        using var ca = pki.LoadCa();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leaf = ca.IssueForUris([new Uri(uri)], "evil", true, key, DateTimeOffset.UtcNow.AddMinutes(-1), TimeSpan.FromDays(1));
        using var good = ca.Issue(WorkloadIdentity.Runner, key, DateTimeOffset.UtcNow.AddMinutes(-1), TimeSpan.FromDays(1));

        Assert.False(Build(leaf, ca.Certificate, out var flags));
        Assert.True((flags & X509ChainStatusFlags.HasNotPermittedNameConstraint) != 0, flags.ToString());
        Assert.True(Build(good, ca.Certificate, out _));
    }

    [Fact]
    public void Renewing_gives_a_new_key_and_serial_for_the_same_identity()
    {
        var pki = Init();
        var alice = WorkloadIdentity.Client("alice");
        Assert.Equal(ExitCodes.Ok, PkiCommands.Issue(_dir, "client/alice", 7, TextWriter.Null, TextWriter.Null));
        var firstKey = File.ReadAllText(pki.KeyPath(alice));
        using var first = X509CertificateLoader.LoadCertificateFromFile(pki.CertificatePath(alice));

        Assert.Equal(ExitCodes.Ok, PkiCommands.Issue(_dir, "client/alice", 7, TextWriter.Null, TextWriter.Null));
        using var second = X509CertificateLoader.LoadCertificateFromFile(pki.CertificatePath(alice));

        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        Assert.NotEqual(firstKey, File.ReadAllText(pki.KeyPath(alice)));
        using var pair = PkiDirectory.LoadPair(pki.CertificatePath(alice), pki.KeyPath(alice));
        Assert.True(pair.HasPrivateKey);
    }

    [Theory]
    [InlineData("client/Alice")]
    [InlineData("admin")]
    [InlineData("operator/")]
    [InlineData("client/a b")]
    public void Issuing_a_malformed_identity_is_a_usage_error(string identity)
    {
        Init();
        var error = new StringWriter();

        Assert.Equal(ExitCodes.Usage, PkiCommands.Issue(_dir, identity, 7, TextWriter.Null, error));
        Assert.Contains("is not a Strongroom identity", error.ToString());
    }

    [Fact]
    public void Issuing_without_a_ca_says_to_run_init()
    {
        var error = new StringWriter();

        Assert.Equal(ExitCodes.Failed, PkiCommands.Issue(_dir, "client/alice", 7, TextWriter.Null, error));
        Assert.Contains("strongroom pki init", error.ToString());
    }

    private static bool Build(X509Certificate2 leaf, X509Certificate2 ca, out X509ChainStatusFlags flags)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var ok = chain.Build(leaf);
        flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);
        return ok;
    }
}
