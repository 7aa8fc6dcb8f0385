using System;
using System.ComponentModel;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.CompilerServices;

/// <summary>
/// Implemented by the generator on every <c>[ModuleServer]</c> class, so <see cref="ModuleServerServiceCollectionExtensions.AddModuleServer{TModule}(IServiceCollection, Action{ModuleServerOptions}?)"/>
/// can register the module, its server and its typed client without reflection.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IModuleServerRegistration
{
    /// <summary>Registers the module, its server (as a hosted service) and its typed client. Implemented by generated code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the server's options; optional.</param>
    static abstract void RegisterModule(IServiceCollection services, Action<ModuleServerOptions>? configure);

    /// <summary>
    /// Registers the module's typed client built on a transport, for a module served in another process. Implemented by
    /// generated code; called by transports (for example the RabbitMQ bridge's <c>CallModule</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="transport">Creates the transport that carries the client's messages.</param>
    static abstract void RegisterRemoteClient(IServiceCollection services, Func<IServiceProvider, IModuleTransport> transport);
}
