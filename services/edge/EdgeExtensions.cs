using Microsoft.Extensions.DependencyInjection.Extensions;
using Strongroom.Edge.Backends;
using Strongroom.Edge.Guard;
using Strongroom.Edge.Routing;
using Strongroom.Hosting;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Strongroom.Edge;

public static class EdgeExtensions
{
    public const string ReverseProxySectionName = "ReverseProxy";

    /// <summary>
    /// The edge on the hosting library: mTLS listeners requiring a client certificate at the
    /// handshake (refusals audited), its own health and audit head, and a YARP router whose routes
    /// come from the <c>ReverseProxy</c> section but are limited to the compiled client-facing methods.
    /// </summary>
    public static WebApplicationBuilder AddStrongroomEdge(this WebApplicationBuilder builder)
    {
        builder.AddStrongroomHosting();

        var services = builder.Services;
        services.AddOptions<EdgeOptions>()
            .BindConfiguration(EdgeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ClientRateLimiter>();
        services.AddSingleton<RoutableMethods>();

        services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection(ReverseProxySectionName))
            .AddConfigFilter<EdgeRouteFilter>()
            .AddTransforms(context => context.AddRequestTransform(ClientIdentityTransform.Apply));
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, BackendHttpClientFactory>());
        return builder;
    }

    /// <summary>Maps the edge: guard first, then its own gRPC methods, the routes, and a fallback that answers UNIMPLEMENTED.</summary>
    public static WebApplication MapStrongroomEdge(this WebApplication app)
    {
        var additional = app.Services.GetRequiredService<RoutableMethods>().Additional;
        if (additional.Count > 0)
        {
            // Never the shipped edge: only a host composing the edge in code adds methods.
            app.Logger.LogWarning("This edge forwards {Count} method(s) beyond the client-facing set, added by its host: {Methods}",
                additional.Count, string.Join(", ", additional.Select(m => $"{m.Path} → {m.Backend}")));
        }

        app.UseRouting();
        app.UseMiddleware<EdgeGuardMiddleware>();
        app.MapStrongroomDefaults();
        // Loads and judges the proxy configuration now: a refused route stops the edge before it listens.
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(ProxyPipeline.ExactMethodOnly);
            // YARP lifts Kestrel's minimum body rate for the gRPC calls it forwards; impose it again here.
            proxy.UseProxiedBodyRate();
            proxy.Use(ProxyPipeline.ErrorsAsGrpcStatus);
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        app.MapFallback("{**path}", context =>
            GrpcStatusResponse.WriteAsync(context, Grpc.Core.StatusCode.Unimplemented, "method is not routed by the edge"));
        return app;
    }
}
