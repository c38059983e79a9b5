using Strongroom.Hosting;
using Strongroom.Runner.Extensions;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddStrongroomHosting();
builder.AddRunner();

var app = builder.Build();
app.MapStrongroomDefaults();
app.MapRunner();
app.Run();
