using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Hosting;
using EventRouter.Reactor;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the reactor's event loops and TCP server with a host.</summary>
public static class ReactorServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="EventLoopGroup"/> singleton, created when the host starts and shut down (its loops
    /// drained) when it stops. Its loops publish through the container's <see cref="IEventPublisher"/> and log through
    /// its <see cref="ILoggerFactory"/> unless the options set others. The settings are the
    /// <see cref="EventLoopOptions"/> of the options pipeline; a second call adds its settings to the first's.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the loops' options; optional.</param>
    /// <returns>The service collection, for chaining.</returns>
#pragma warning disable RS0027 // The configuration overload's second parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddEventLoopGroup(this IServiceCollection services, Action<EventLoopOptions>? configure = null)
#pragma warning restore RS0027
    {
        ArgumentNullException.ThrowIfNull(services);
        ValidatedOptions.Add<EventLoopOptions, EventLoopOptionsValidator>(services, Options.Options.DefaultName, configure);
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<EventLoopOptions>>().Value;
            options.Publisher ??= provider.GetService<IEventPublisher>();
            options.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            return new EventLoopGroup(options.LoopCount, options);
        });
        services.AddHostedService<EventLoopGroupService>();
        return services;
    }

    /// <summary>
    /// Registers the <see cref="EventLoopGroup"/> as <see cref="AddEventLoopGroup(IServiceCollection, Action{EventLoopOptions}?)"/>
    /// does, with its options bound from <paramref name="configuration"/> (for example
    /// <c>builder.Configuration.GetSection("EventRouter:EventLoops")</c>). What configuration cannot hold (the clock,
    /// the publisher, the logger factory) is set in code with <c>services.Configure&lt;EventLoopOptions&gt;(…)</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the loops' settings (<c>Name</c>, <c>LoopCount</c>, <c>BlockedThreshold</c>).</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddEventLoopGroup(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EventLoopOptions>().Bind(configuration);
        return services.AddEventLoopGroup();
    }

    /// <summary>
    /// Registers a <see cref="TcpServer"/> singleton on the <see cref="EventLoopGroup"/> of the container (registered
    /// here when missing), listening from the host's start and stopped gracefully at its stop (connections still open
    /// when the host's shutdown timeout ends are aborted). Connections publish through the container's
    /// <see cref="IEventPublisher"/> and log through its <see cref="ILoggerFactory"/> unless the options set others.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the server's address, framing and handler. Every value is checked when the host starts.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddTcpServer(this IServiceCollection services, Action<TcpServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return AddTcpServerCore(services, configure);
    }

    /// <summary>
    /// Registers the <see cref="TcpServer"/> as <see cref="AddTcpServer(IServiceCollection, Action{TcpServerOptions})"/>
    /// does, with its settings bound from <paramref name="configuration"/> first (for example
    /// <c>builder.Configuration.GetSection("EventRouter:Tcp")</c> holding <c>Address</c>, <c>Port</c>,
    /// <c>MaxConnections</c>, <c>Backlog</c>, <c>ShutdownTimeout</c>, <c>MaxSendBufferSize</c>,
    /// <c>ReceivePauseThreshold</c>, <c>IdleTimeout</c> and <c>CloseTimeout</c>); <paramref name="configure"/> then
    /// sets what configuration cannot (the handler, the codec). Without a handler, connections publish to the
    /// container's <see cref="IEventPublisher"/>. Every value is checked when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the server's settings.</param>
    /// <param name="configure">Sets the rest of the options; optional.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddTcpServer(this IServiceCollection services, IConfiguration configuration, Action<TcpServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TcpServerOptions>().Configure(options => TcpServerConfiguration.Apply(configuration, options));
        return AddTcpServerCore(services, configure);
    }

    private static IServiceCollection AddTcpServerCore(IServiceCollection services, Action<TcpServerOptions>? configure)
    {
        services.AddEventLoopGroup();
        ValidatedOptions.Add<TcpServerOptions, TcpServerOptionsValidator>(services, Options.Options.DefaultName, configure);
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<TcpServerOptions>>().Value;
            options.Publisher ??= provider.GetService<IEventPublisher>();
            options.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            return new TcpServer(provider.GetRequiredService<EventLoopGroup>(), options);
        });
        // Registered after the group's service: the host stops in reverse order, so connections close before the loops go.
        services.AddHostedService<TcpServerService>();
        return services;
    }

    private sealed class EventLoopGroupService(IServiceProvider provider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = provider.GetRequiredService<EventLoopGroup>(); // the loops start when the group is created
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) =>
            provider.GetRequiredService<EventLoopGroup>().DisposeAsync().AsTask().WaitAsync(cancellationToken);
    }

    private sealed class TcpServerService(TcpServer server) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            server.Start();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
    }
}
