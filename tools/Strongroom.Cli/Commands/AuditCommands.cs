using System.CommandLine;
using Grpc.Core;
using Strongroom.Audit.V1;
using Strongroom.Hosting.Audit;
using Strongroom.Operator;
using Strongroom.Stack;
using Strongroom.Storage.V1;

namespace Strongroom.Cli.Commands;

/// <summary>
/// <c>strongroom audit …</c>: anchor every service's audit-log head in the key log (so deleting or
/// editing audit lines is detectable), and verify a log file offline against an anchored head.
/// </summary>
public static class AuditCommands
{
    public static Command Build()
    {
        var pki = new Option<string>("--pki") { Description = "PKI folder holding your certificate", DefaultValueFactory = _ => PkiCommands.DefaultDirectory };
        var identity = new Option<string>("--as") { Description = "Your identity (an operator)", DefaultValueFactory = _ => "operator/admin" };
        var storage = new Option<string>("--storage-admin") { Description = "storage admin listener", DefaultValueFactory = _ => $"https://127.0.0.1:{ServiceSpec.StorageAdminDevPort}" };

        var anchor = new Command("anchor", "Read each service's audit head on its admin listener and anchor them all in the key log.") { pki, identity, storage };
        anchor.SetAction((r, ct) => AnchorAsync(r.GetValue(pki)!, r.GetValue(identity)!, r.GetValue(storage)!, Console.Out, Console.Error, ct));

        var file = new Argument<string>("file") { Description = "The audit log file" };
        var size = new Option<ulong?>("--size") { Description = "Anchored head: number of entries" };
        var hash = new Option<string?>("--hash") { Description = "Anchored head: chain hash (hex)" };
        var verify = new Command("verify", "Verify an audit log's hash chain, optionally against an anchored head.") { file, size, hash };
        verify.SetAction(r => Verify(r.GetValue(file)!, r.GetValue(size), r.GetValue(hash), Console.Out, Console.Error));

        return new Command("audit", "Audit-log anchoring and verification.") { anchor, verify };
    }

    public static async Task<int> AnchorAsync(string pkiDir, string identity, string storageAdmin, TextWriter output, TextWriter error, CancellationToken cancellationToken, int portOffset = 0)
    {
        using var connections = new ServiceConnections(pkiDir, identity);
        var request = new AnchorAuditHeadsRequest();
        foreach (var (service, port) in ServiceSpec.AdminPorts)
        {
            try
            {
                var head = await new AuditLog.AuditLogClient(connections.To($"https://127.0.0.1:{port + portOffset}", service, TimeSpan.FromSeconds(5)))
                    .GetAuditHeadAsync(new GetAuditHeadRequest(), cancellationToken: cancellationToken);
                request.Heads.Add(new Strongroom.Storage.V1.AuditHead { Service = head.Service, Size = head.Size, HeadHash = head.HeadHash, HeadTime = head.HeadTime });
                output.WriteLine($"{head.Service,-32} {head.Size,8} entries  head {Convert.ToHexStringLower(head.HeadHash.Span)}");
            }
            catch (RpcException ex)
            {
                error.WriteLine($"{service}: not anchored ({ex.StatusCode}: {ex.Status.Detail})");
            }
        }

        if (request.Heads.Count == 0)
        {
            error.WriteLine("no audit head could be read; is the stack up?");
            return ExitCodes.NotReady;
        }

        try
        {
            var response = await new StorageAdmin.StorageAdminClient(connections.To(storageAdmin, "storage")).AnchorAuditHeadsAsync(request, cancellationToken: cancellationToken);
            output.WriteLine($"anchored {response.Entries.Count} head(s) in the key log (last entry index {response.Entry?.Index})");
            return ExitCodes.Ok;
        }
        catch (RpcException ex)
        {
            error.WriteLine($"storage: {ex.StatusCode}: {ex.Status.Detail}");
            return ExitCodes.Failed;
        }
    }

    public static int Verify(string file, ulong? size, string? hash, TextWriter output, TextWriter error)
    {
        if ((size is null) != (hash is null))
        {
            error.WriteLine("give both --size and --hash of the anchored head, or neither");
            return ExitCodes.Usage;
        }

        Strongroom.Hosting.Audit.AuditHead? anchored = size is { } s ? new Strongroom.Hosting.Audit.AuditHead(s, Convert.FromHexString(hash!), 0) : null;
        var result = AuditTrail.VerifyFile(file, anchored);
        if (!result.Valid)
        {
            error.WriteLine($"audit log broken at line {result.FailedLine}: {result.Problem}");
            return ExitCodes.Failed;
        }

        output.WriteLine($"audit log intact: {result.Head.Size} entries, head {Convert.ToHexStringLower(result.Head.Hash)}");
        return ExitCodes.Ok;
    }
}
