using Strongroom.Edge;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddStrongroomEdge();

var app = builder.Build();
app.MapStrongroomEdge();
app.Run();
