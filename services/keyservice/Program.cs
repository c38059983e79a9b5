using Strongroom.Hosting;
using Strongroom.KeyService.Extensions;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddStrongroomHosting();
builder.AddKeyService();

var app = builder.Build();
app.MapStrongroomDefaults();
app.MapKeyService();
app.Run();
