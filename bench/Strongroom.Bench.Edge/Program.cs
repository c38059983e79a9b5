using Strongroom.Edge;
using Strongroom.Edge.Routing;
using Strongroom.Pki;

namespace Strongroom.Bench.Edge;

/// <summary>
/// The shipped edge plus the bench baseline server's two methods, forwarded to the backend that
/// presents <c>Bench:BaselineIdentity</c>. The route is added here in code because no setting of
/// the shipped edge can open a method beyond the client-facing set.
/// </summary>
public static class Program
{
    public const string Empty = "/strongroom.bench.v1.Bench/Empty";
    public const string Commit = "/strongroom.bench.v1.Bench/Commit";

    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        // The bench's stack only: refuse to run as anything a deployment could start.
        if (!builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException($"the bench edge runs only in Development, not {builder.Environment.EnvironmentName}");
        }

        var identity = WorkloadIdentity.ParseShort(builder.Configuration["Bench:BaselineIdentity"] ?? "signer");
        builder.AddStrongroomEdge();
        builder.Services.AddSingleton(new ForwardedMethod(Empty, identity));
        builder.Services.AddSingleton(new ForwardedMethod(Commit, identity));

        var app = builder.Build();
        app.MapStrongroomEdge();
        app.Run();
    }
}
