using System.CommandLine;
using Strongroom.Cli.Commands;

namespace Strongroom.Cli;

/// <summary>The <c>strongroom</c> command tree. Each group lives in its own class under Commands/.</summary>
public static class StrongroomCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Strongroom: end-to-end encrypted work for compute runners, with verifiable results.");
        root.Subcommands.Add(PkiCommands.Build());
        root.Subcommands.Add(DevCommands.Build());
        root.Subcommands.Add(KeyCommands.Build());
        root.Subcommands.Add(AuditCommands.Build());
        root.Subcommands.Add(ClientCommands.Build());
        foreach (var command in JobCommands.Build())
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(DoctorCommand.Build());
        return root;
    }
}
