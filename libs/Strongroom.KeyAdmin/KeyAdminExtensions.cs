using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Strongroom.KeyAdmin;

public static class KeyAdminExtensions
{
    /// <summary>Registers this service's <see cref="KeyAdminProfile"/> (needs a <see cref="KeyCustody.KeyCustodian"/> singleton).</summary>
    public static IServiceCollection AddKeyAdmin<TProfile>(this IServiceCollection services)
        where TProfile : KeyAdminProfile
    {
        services.AddSingleton<KeyAdminProfile, TProfile>();
        return services;
    }

    /// <summary>Maps KeyAdmin; its policy rows (Admin: true) keep it on the admin listener.</summary>
    public static IEndpointRouteBuilder MapKeyAdmin(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<KeyAdminGrpc>();
        return app;
    }
}
