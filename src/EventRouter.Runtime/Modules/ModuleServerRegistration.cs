using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Modules;

/// <summary>
/// Implemented by the generator on every <c>[ModuleServer]</c> class, so <see cref="ModuleServerServiceCollectionExtensions.AddModuleServer{TModule}"/>
/// can register the module, its server and its typed client without reflection.
/// </summary>
public interface IModuleServerRegistration
{
    /// <summary>Registers the module, its server (as a hosted service) and its typed client. Implemented by generated code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the server's options; optional.</param>
    static abstract void RegisterModule(IServiceCollection services, Action<ModuleServerOptions>? configure);
}

/// <summary>Registration helpers used by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModuleServerRegistration
{
    /// <summary>
    /// Registers <typeparamref name="TModule"/> (a singleton resolved by the container, so it can take dependencies),
    /// <see cref="ModuleServer{TModule}"/> as a singleton hosted service, and <typeparamref name="TClient"/> as a singleton.
    /// </summary>
    public static void Register<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TModule, TClient>(IServiceCollection services, Action<ModuleServerOptions>? configure, Func<ModuleServer<TModule>, TClient> createClient)
        where TModule : class
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(createClient);
        services.TryAddSingleton<TModule>();
        services.TryAddSingleton(sp =>
        {
            var options = new ModuleServerOptions();
            configure?.Invoke(options);
            return new ModuleServer<TModule>(sp.GetRequiredService<TModule>(), options, sp);
        });
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ModuleServer<TModule>>());
        services.TryAddSingleton(sp => createClient(sp.GetRequiredService<ModuleServer<TModule>>()));
    }
}

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
