using Strongroom.Cli.Commands;
using Strongroom.Hosting.Audit;

namespace Strongroom.Cli.Tests;

/// <summary>`strongroom audit verify`: an operator checks a log file offline against the head they anchored.</summary>
public sealed class AuditCommandTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "strongroom-audit-cli-" + Guid.NewGuid().ToString("N") + ".log");

    public void Dispose() => File.Delete(_path);

    private AuditHead Write(int entries)
    {
        using var log = AuditTrail.Open(_path, "keyservice");
        for (var i = 0; i < entries; i++)
        {
            log.Append(new AuditEvent("spiffe://strongroom/operator/admin", "/strongroom.keyadmin.v1.KeyAdmin/RotateKey", "OK", "requests", i + 1));
        }

        return log.Head;
    }

    [Fact]
    public void An_intact_log_verifies_against_its_anchored_head()
    {
        var head = Write(3);
        var output = new StringWriter();

        var exit = AuditCommands.Verify(_path, head.Size, Convert.ToHexStringLower(head.Hash), output, TextWriter.Null);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("audit log intact: 3 entries", output.ToString());
    }

    [Fact]
    public void A_log_cut_short_after_anchoring_fails_with_the_reason()
    {
        var head = Write(3);
        File.WriteAllLines(_path, File.ReadAllLines(_path)[..2]);
        var error = new StringWriter();

        var exit = AuditCommands.Verify(_path, head.Size, Convert.ToHexStringLower(head.Hash), TextWriter.Null, error);

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("entries were deleted", error.ToString());
    }

    [Fact]
    public void A_half_given_head_is_a_usage_error()
    {
        Write(1);

        Assert.Equal(ExitCodes.Usage, AuditCommands.Verify(_path, 1, null, TextWriter.Null, TextWriter.Null));
    }
}
