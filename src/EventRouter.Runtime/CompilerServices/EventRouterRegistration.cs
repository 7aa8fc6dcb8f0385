using System;
using System.ComponentModel;
using EventRouter.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EventRouter.CompilerServices;

/// <summary>Registration helpers used by the generated <c>AddEventRouter</c>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class EventRouterRegistration
{
    /// <summary>
    /// Adds <paramref name="configure"/> to the <see cref="EventRouterOptions"/> of the container (every call adds its
    /// own, so a second <c>AddEventRouter(o => …)</c> composes with the first, as <c>services.Configure</c> does), and
    /// registers <see cref="EventRouterOptions"/> itself as the resolved options value.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">The caller's settings, or null.</param>
    public static void AddOptions(IServiceCollection services, Action<EventRouterOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ValidatedOptions.Add<EventRouterOptions, EventRouterOptionsValidator>(services, Options.DefaultName, configure);
        services.TryAddSingleton(static provider => GetOptions(provider));
    }

    /// <summary>The <see cref="EventRouterOptions"/> of the container: every configuration applied, validated.</summary>
    /// <param name="services">The container.</param>
    /// <returns>The options.</returns>
    public static EventRouterOptions GetOptions(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetRequiredService<IOptions<EventRouterOptions>>().Value;
    }
}
