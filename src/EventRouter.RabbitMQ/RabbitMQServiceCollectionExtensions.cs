using System;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Hosting;
using EventRouter.RabbitMQ;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

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
    /// <see cref="RabbitMQOptions.ServiceName"/> and <see cref="RabbitMQOptions.JsonContext"/> are required (set here,
    /// bound from configuration or set by <c>services.Configure&lt;RabbitMQOptions&gt;(…)</c>; checked when the host
    /// starts). It runs twice: once now, to learn which modules are called (their clients are registered now), and once
    /// when the options are built, after any configuration bound before this call.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddEventRouterRabbitMQ(this IServiceCollection services, Action<RabbitMQOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var topology = new RabbitMQOptions();
        configure(topology);

        ValidatedOptions.Add<RabbitMQOptions, RabbitMQOptionsValidator>(services, Microsoft.Extensions.Options.Options.DefaultName, configure);
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<RabbitMQOptions>>().Value;
            return new RabbitMQBridge(
                options,
                provider,
                provider.GetService<EventDispatcherBase>(),
                options.IdempotencyStore ?? provider.GetService<IIdempotencyStore>() ?? new InMemoryIdempotencyStore(100_000),
                provider.GetService<ILoggerFactory>()?.CreateLogger("EventRouter.RabbitMQ") ?? NullLogger.Instance);
        });
        services.TryAddSingleton<IBrokerPublisher>(static provider => provider.GetRequiredService<RabbitMQBridge>());
        services.TryAddSingleton(static provider => provider.GetRequiredService<RabbitMQBridge>().Status);
        services.AddHostedService(static provider => provider.GetRequiredService<RabbitMQBridge>());
        foreach (var module in topology.CalledModules)
        {
            module.RegisterClient(services, provider => provider.GetRequiredService<RabbitMQBridge>().CreateModuleTransport(module));
        }
        return services;
    }

    /// <summary>
    /// Registers the RabbitMQ bridge as <see cref="AddEventRouterRabbitMQ(IServiceCollection, Action{RabbitMQOptions})"/>
    /// does, with its settings bound from <paramref name="configuration"/> first (for example
    /// <c>builder.Configuration.GetSection("EventRouter:RabbitMQ")</c> holding <c>ConnectionString</c>,
    /// <c>ServiceName</c>, <c>PrefetchCount</c>, <c>DelayedRetries</c>, … and <c>Events</c>, the names of the events that
    /// cross the broker); <paramref name="configure"/> then sets what configuration cannot (the
    /// <see cref="RabbitMQOptions.JsonContext"/>, typed events, the modules served and called).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the bridge's settings.</param>
    /// <param name="configure">Sets the rest of the options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddEventRouterRabbitMQ(this IServiceCollection services, IConfiguration configuration, Action<RabbitMQOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RabbitMQOptions>().Configure(options => RabbitMQConfiguration.Apply(configuration, options));
        return services.AddEventRouterRabbitMQ(configure);
    }
}
