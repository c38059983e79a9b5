using Strongroom.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddStrongroomHosting();

var app = builder.Build();
app.MapStrongroomDefaults();
app.Run();
