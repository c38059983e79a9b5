using Strongroom.Bench.Baseline;
using Strongroom.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddStrongroomHosting();
builder.Services.AddSingleton(new CommitStore(builder.Configuration["Bench:SqlitePath"] ?? "bench.db"));

var app = builder.Build();
app.MapStrongroomDefaults();
app.MapGrpcService<BenchService>();
app.Run();
