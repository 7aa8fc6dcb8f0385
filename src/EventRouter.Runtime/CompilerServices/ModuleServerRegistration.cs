using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using EventRouter.Hosting;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EventRouter.CompilerServices;

/// <summary>Registration helpers used by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModuleServerRegistration
{
    /// <summary>
    /// Registers <typeparamref name="TModule"/> (a singleton resolved by the container, so it can take dependencies),
    /// <see cref="ModuleServer{TModule}"/> as a singleton hosted service, and <typeparamref name="TClient"/> as a singleton
    /// (also as <see cref="ModuleClient{TModule}"/>, which transports use to serve the module to other processes).
    /// The server's settings are the named <see cref="ModuleServerOptions"/> of the module
    /// (<see cref="ModuleServerOptions.NameOf(Type)"/>): <paramref name="configure"/> and whatever else configures them.
    /// </summary>
    public static void Register<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TModule, TClient>(IServiceCollection services, Action<ModuleServerOptions>? configure, Func<ModuleServer<TModule>, TClient> createClient)
        where TModule : class
        where TClient : ModuleClient<TModule>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(createClient);
        var servedHere = false;
        var calledRemotely = false;
        foreach (var descriptor in services)
        {
            servedHere |= descriptor.ServiceType == typeof(ModuleServer<TModule>);
            calledRemotely |= descriptor.ServiceType == typeof(ModuleClient<TModule>);
        }
        if (calledRemotely && !servedHere)
        {
            throw new InvalidOperationException(
                $"Module {typeof(TModule).Name} is already registered as a remote module (called through a transport); serve it here or call it remotely, not both.");
        }
        services.TryAddSingleton<TModule>();
        var optionsName = ModuleServerOptions.NameOf(typeof(TModule));
        ValidatedOptions.Add<ModuleServerOptions, ModuleServerOptionsValidator>(services, optionsName, configure);
        services.TryAddSingleton(sp => new ModuleServer<TModule>(
            sp.GetRequiredService<TModule>(),
            sp.GetRequiredService<IOptionsMonitor<ModuleServerOptions>>().Get(optionsName),
            sp));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ModuleServer<TModule>>());
        services.TryAddSingleton(sp => createClient(sp.GetRequiredService<ModuleServer<TModule>>()));
        services.TryAddSingleton<ModuleClient<TModule>>(static sp => sp.GetRequiredService<TClient>());
    }

    /// <summary>
    /// Registers <typeparamref name="TClient"/> built on a transport (also as <see cref="ModuleClient{TModule}"/>), for a
    /// module served in another process.
    /// </summary>
    /// <exception cref="InvalidOperationException">The module is also served in this process.</exception>
    public static void RegisterRemote<TModule, TClient>(IServiceCollection services, Func<IServiceProvider, IModuleTransport> transport, Func<IModuleTransport, TClient> createClient)
        where TModule : class
        where TClient : ModuleClient<TModule>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(createClient);
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ModuleServer<TModule>))
            {
                throw new InvalidOperationException(
                    $"Module {typeof(TModule).Name} is served in this process (AddModuleServer<{typeof(TModule).Name}>()); call it through its local client instead of a remote one.");
            }
        }
        services.TryAddSingleton(sp => createClient(transport(sp)));
        services.TryAddSingleton<ModuleClient<TModule>>(static sp => sp.GetRequiredService<TClient>());
    }
}
