using System;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.RabbitMQ;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the EventRouter RabbitMQ bridge.</summary>
public static class RabbitMQServiceCollectionExtensions
{
    /// <summary>
    /// Registers the RabbitMQ bridge: an <see cref="IBrokerPublisher"/>, a <see cref="RabbitMQBridgeStatus"/> for health checks, and a hosted service that connects at start-up (in the background while the broker cannot be reached),
    /// declares this service's listener queues for the events opted in with
    /// <see cref="RabbitMQOptions.CrossBroker(string[])"/> and consumes them with the listeners of the
    /// <see cref="EventDispatcherBase"/> registered by <c>services.AddEventRouter()</c>. Modules opted in with
    /// <see cref="RabbitMQOptions.ServeModule{TModule}"/> are served on their queues; modules opted in with
    /// <see cref="RabbitMQOptions.CallModule{TModule}"/> get their generated typed client registered, talking through
    /// the broker.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; <see cref="RabbitMQOptions.ConnectionString"/>,
    /// <see cref="RabbitMQOptions.ServiceName"/> and <see cref="RabbitMQOptions.JsonContext"/> are required.</param>
    /// <returns>The service collection, for chaining.</returns>
    /// <exception cref="InvalidOperationException">An option is missing or invalid.</exception>
    public static IServiceCollection AddEventRouterRabbitMQ(this IServiceCollection services, Action<RabbitMQOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new RabbitMQOptions();
        configure(options);
        options.Validate(); // fail at registration, not at the first publish

        services.TryAddSingleton(provider => new RabbitMQBridge(
            options,
            provider,
            provider.GetService<EventDispatcherBase>(),
            options.IdempotencyStore ?? provider.GetService<IIdempotencyStore>() ?? new InMemoryIdempotencyStore(100_000),
            provider.GetService<ILoggerFactory>()?.CreateLogger("EventRouter.RabbitMQ") ?? NullLogger.Instance));
        services.TryAddSingleton<IBrokerPublisher>(static provider => provider.GetRequiredService<RabbitMQBridge>());
        services.TryAddSingleton(static provider => provider.GetRequiredService<RabbitMQBridge>().Status);
        services.AddHostedService(static provider => provider.GetRequiredService<RabbitMQBridge>());
        foreach (var module in options.CalledModules)
        {
            module.RegisterClient(services, provider => provider.GetRequiredService<RabbitMQBridge>().CreateModuleTransport(module));
        }
        return services;
    }
}
