using Strongroom.Hosting;
using Strongroom.Signer.Extensions;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddStrongroomHosting();
builder.AddSigner();

var app = builder.Build();
app.MapStrongroomDefaults();
app.MapSigner();
app.Run();
