using Strongroom.Hosting.Audit;

namespace Strongroom.Hosting.Tests;

/// <summary>The hash chain makes edits, deletions and truncation of audit lines detectable.</summary>
public sealed class AuditTrailTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "strongroom-audit-" + Guid.NewGuid().ToString("N"));

    private string LogPath => Path.Combine(_dir, "audit.log");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private AuditHead WriteEntries(int count)
    {
        using var log = AuditTrail.Open(LogPath, "kms");
        for (var i = 0; i < count; i++)
        {
            log.Append(new AuditEvent("spiffe://strongroom/keyservice", "/google.cloud.kms.v1.KeyManagementService/Encrypt", "OK", "k" + i, i));
        }

        return log.Head;
    }

    [Fact]
    public void An_untouched_log_verifies_against_its_head()
    {
        var head = WriteEntries(5);

        var result = AuditTrail.VerifyFile(LogPath, head);

        Assert.True(result.Valid, result.Problem);
        Assert.Equal(5UL, result.Head.Size);
    }

    [Fact]
    public void An_edited_line_is_detected()
    {
        WriteEntries(5);
        var lines = File.ReadAllLines(LogPath);
        lines[2] = lines[2].Replace("\"outcome\":\"OK\"", "\"outcome\":\"NO\"", StringComparison.Ordinal);
        File.WriteAllLines(LogPath, lines);

        var result = AuditTrail.VerifyFile(LogPath);

        Assert.False(result.Valid);
        Assert.Equal(3, result.FailedLine);
        Assert.Contains("edited", result.Problem);
    }

    [Fact]
    public void A_deleted_line_is_detected()
    {
        WriteEntries(5);
        var lines = File.ReadAllLines(LogPath).ToList();
        lines.RemoveAt(1);
        File.WriteAllLines(LogPath, lines);

        var result = AuditTrail.VerifyFile(LogPath);

        Assert.False(result.Valid);
        Assert.Equal(2, result.FailedLine);
    }

    [Fact]
    public void A_deleted_last_line_is_detected_against_the_anchored_head()
    {
        var head = WriteEntries(5);
        var lines = File.ReadAllLines(LogPath);
        File.WriteAllLines(LogPath, lines[..^1]);

        var result = AuditTrail.VerifyFile(LogPath, head);

        Assert.False(result.Valid);
        Assert.Contains("deleted", result.Problem);
    }

    [Fact]
    public void A_recomputed_chain_is_detected_against_the_anchored_head()
    {
        var head = WriteEntries(3);
        File.Delete(LogPath);
        // An attacker rewriting history from scratch produces a valid chain, but not the anchored head.
        using (var log = AuditTrail.Open(LogPath, "kms"))
        {
            for (var i = 0; i < 3; i++)
            {
                log.Append(new AuditEvent("spiffe://strongroom/signer", "forged", "OK"));
            }
        }

        var result = AuditTrail.VerifyFile(LogPath, head);

        Assert.False(result.Valid);
        Assert.Contains("differs from the anchored head", result.Problem);
    }

    [Fact]
    public void Reopening_continues_the_chain_and_cuts_a_torn_last_line()
    {
        WriteEntries(2);
        File.AppendAllText(LogPath, "{\"entry\":{\"seq\":3,");
        using (var log = AuditTrail.Open(LogPath, "kms"))
        {
            log.Append(new AuditEvent("spiffe://strongroom/operator/alice", "rotate", "OK"));
            Assert.Equal(3UL, log.Head.Size);
        }

        Assert.True(AuditTrail.VerifyFile(LogPath).Valid);
    }

    [Fact]
    public void A_tampered_log_refuses_to_open()
    {
        WriteEntries(3);
        var lines = File.ReadAllLines(LogPath);
        lines[0] = lines[0].Replace("k0", "kX", StringComparison.Ordinal);
        File.WriteAllLines(LogPath, lines);

        var ex = Assert.Throws<InvalidOperationException>(() => AuditTrail.Open(LogPath, "kms"));

        Assert.Contains("fails verification at line 1", ex.Message);
    }

    [Fact]
    public void The_log_file_is_created_owner_only()
    {
        WriteEntries(1);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LogPath));
    }
}
