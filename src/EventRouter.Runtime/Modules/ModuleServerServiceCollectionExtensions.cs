using System;
using System.Diagnostics.CodeAnalysis;
using EventRouter.CompilerServices;
using EventRouter.Modules;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds module servers to a service collection.</summary>
public static class ModuleServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <c>[ModuleServer]</c> class: the module (with its dependencies from the container), its server as a
    /// hosted service, and its generated typed client as a singleton.
    /// </summary>
    /// <typeparam name="TModule">The <c>[ModuleServer]</c> class; the generator implements <see cref="IModuleServerRegistration"/> on it.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the server's options; optional.</param>
    /// <returns>The service collection.</returns>
#pragma warning disable RS0027 // The configuration overload's second parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddModuleServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TModule>(this IServiceCollection services, Action<ModuleServerOptions>? configure = null)
#pragma warning restore RS0027
        where TModule : class, IModuleServerRegistration
    {
        ArgumentNullException.ThrowIfNull(services);
        TModule.RegisterModule(services, configure);
        return services;
    }

    /// <summary>
    /// Registers a <c>[ModuleServer]</c> class as <see cref="AddModuleServer{TModule}(IServiceCollection, Action{ModuleServerOptions}?)"/>
    /// does, with its server's options bound from <paramref name="configuration"/> (for example
    /// <c>builder.Configuration.GetSection("EventRouter:Modules:Stock")</c>). What configuration cannot hold (callbacks,
    /// clock, logger factory) is set in code with <c>services.Configure&lt;ModuleServerOptions&gt;(ModuleServerOptions.NameOf(typeof(TModule)), …)</c>.
    /// </summary>
    /// <typeparam name="TModule">The <c>[ModuleServer]</c> class; the generator implements <see cref="IModuleServerRegistration"/> on it.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the server's settings (<c>Capacity</c>, <c>FullMode</c>, <c>RequestTimeout</c>, …).</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddModuleServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TModule>(this IServiceCollection services, IConfiguration configuration)
        where TModule : class, IModuleServerRegistration
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ModuleServerOptions>(ModuleServerOptions.NameOf(typeof(TModule))).Bind(configuration);
        TModule.RegisterModule(services, null);
        return services;
    }
}
