using Strongroom.Cli;

return await StrongroomCli.Build().Parse(args).InvokeAsync();
