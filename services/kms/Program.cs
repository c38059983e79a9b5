using Strongroom.Hosting;
using Strongroom.Kms.Extensions;
using Strongroom.Kms.Storage;

// Offline operator commands (init, reseal, backup, restore, inspect) run against the store file.
if (OperatorCommands.IsCommand(args))
{
    return OperatorCommands.Run(args, Console.Out, Console.Error);
}

try
{
    var builder = WebApplication.CreateSlimBuilder(args);
    builder.AddStrongroomHosting();
    builder.AddKms();
    var app = builder.Build();
    app.MapStrongroomDefaults();
    app.MapKms();
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is SealedStoreException or KmsStartupException)
{
    // A wrong passphrase, a weakened header or unsafe permissions are operator errors, not crashes:
    // one line naming the problem, never a stack trace.
    Console.Error.WriteLine("kms: refusing to start: " + ex.Message);
    return 1;
}
