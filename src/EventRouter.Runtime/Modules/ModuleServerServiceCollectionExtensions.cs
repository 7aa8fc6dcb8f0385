using System;
using System.Diagnostics.CodeAnalysis;
using EventRouter.CompilerServices;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;

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
    public static IServiceCollection AddModuleServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TModule>(this IServiceCollection services, Action<ModuleServerOptions>? configure = null)
        where TModule : class, IModuleServerRegistration
    {
        ArgumentNullException.ThrowIfNull(services);
        TModule.RegisterModule(services, configure);
        return services;
    }
}
