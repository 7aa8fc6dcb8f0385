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
        services.TryAddSingleton(static provider => Create(provider));
    }

    /// <summary>The <see cref="EventRouterOptions"/> of the container: every configuration applied, validated.</summary>
    /// <param name="services">The container.</param>
    /// <returns>The options.</returns>
    /// <exception cref="OptionsValidationException">A setting is invalid.</exception>
    public static EventRouterOptions GetOptions(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetRequiredService<EventRouterOptions>();
    }

    private static EventRouterOptions Create(IServiceProvider services)
    {
        // The options library's own factory runs every Configure, PostConfigure and validator, as IOptions<T> would;
        // resolving IOptions<T> itself (OptionsManager, OptionsFactory, their caches) makes the container build those
        // services by reflection, which costs a Native AOT app about 0.25 ms of its start for the one value it needs.
        var factory = new OptionsFactory<EventRouterOptions>(
            services.GetServices<IConfigureOptions<EventRouterOptions>>(),
            services.GetServices<IPostConfigureOptions<EventRouterOptions>>(),
            services.GetServices<IValidateOptions<EventRouterOptions>>());
        return factory.Create(Options.DefaultName);
    }
}
