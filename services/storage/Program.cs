using Strongroom.Hosting;
using Strongroom.Storage.Extensions;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddStrongroomHosting();
builder.AddStorage();

var app = builder.Build();
app.MapStrongroomDefaults();
app.MapStorage();
app.Run();
