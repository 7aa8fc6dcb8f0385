using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Durability;
using EventRouter.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the durable dispatch loop and the outbox relay over the <see cref="DurableStore"/> in DI.</summary>
/// <remarks>Register the store first, with <c>AddSqliteStore</c> (EventRouter.Sqlite) or <c>AddPostgreSqlStore</c> (EventRouter.PostgreSql).</remarks>
public static class DurabilityServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="EventDispatchLoop"/> (<c>AddEventDispatchLoop</c>) made durable by the store in DI:
    /// accepted events, listener completions and dead letters are stored, events are de-duplicated by id in the
    /// inbox, and the loop recovers unfinished events when the host starts.
    /// </summary>
    /// <param name="services">The service collection, with a store registered.</param>
    /// <param name="configure">Sets the loop's options (its journal, dead-letter sink and idempotency store come from the store).</param>
    /// <returns>The service collection, for chaining.</returns>
#pragma warning disable RS0027 // The configuration overload's second parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddDurableDispatchLoop(this IServiceCollection services, Action<DispatchLoopOptions>? configure = null)
#pragma warning restore RS0027
    {
        ArgumentNullException.ThrowIfNull(services);
        AddDurableLoopServices(services);
        return services.AddEventDispatchLoop(configure);
    }

    /// <summary>
    /// Registers the durable <see cref="EventDispatchLoop"/> as <see cref="AddDurableDispatchLoop(IServiceCollection, Action{DispatchLoopOptions}?)"/>
    /// does, with the loop's options bound from <paramref name="configuration"/> as
    /// <c>AddEventDispatchLoop(IConfiguration)</c> binds them (for example <c>builder.Configuration.GetSection("EventRouter:DispatchLoop")</c>).
    /// </summary>
    /// <param name="services">The service collection, with a store registered.</param>
    /// <param name="configuration">The section holding the loop's settings (<c>Capacity</c>, <c>MaxParallelism</c>, <c>DrainTimeout</c>, …).</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddDurableDispatchLoop(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddDurableLoopServices(services);
        return services.AddEventDispatchLoop(configuration);
    }

    private static void AddDurableLoopServices(IServiceCollection services)
    {
        services.TryAddSingleton<IDispatchLoopJournal>(static provider => RequiredStore.Get(provider, "AddDurableDispatchLoop()").Journal);
        services.TryAddSingleton<IDeadLetterSink>(static provider => RequiredStore.Get(provider, "AddDurableDispatchLoop()").DeadLetters);
        services.TryAddSingleton<IIdempotencyStore>(static provider => RequiredStore.Get(provider, "AddDurableDispatchLoop()").Inbox);
    }

    /// <summary>
    /// Runs an <see cref="OutboxRelay"/> with the host that delivers the store's outbox events into the
    /// <see cref="EventDispatchLoop"/> in DI (durable with <see cref="AddDurableDispatchLoop(IServiceCollection, Action{DispatchLoopOptions}?)"/>:
    /// an event is marked sent only once the loop stored it).
    /// </summary>
    /// <param name="services">The service collection, with a store and a dispatch loop registered.</param>
    /// <param name="configure">Sets the relay's options (see <see cref="AddOutboxRelay(IServiceCollection, Func{IServiceProvider, Func{object, CancellationToken, ValueTask}}, Action{OutboxRelayOptions}?)"/>).</param>
    /// <returns>The service collection, for chaining.</returns>
#pragma warning disable RS0027 // The configuration overload's second parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddOutboxRelayToDispatchLoop(this IServiceCollection services, Action<OutboxRelayOptions>? configure = null)
#pragma warning restore RS0027
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddOutboxRelay(DeliverToDispatchLoop, configure);
    }

    /// <summary>
    /// Runs the <see cref="OutboxRelay"/> into the dispatch loop as <see cref="AddOutboxRelayToDispatchLoop(IServiceCollection, Action{OutboxRelayOptions}?)"/>
    /// does, with its options bound from <paramref name="configuration"/> (for example
    /// <c>builder.Configuration.GetSection("EventRouter:OutboxRelay")</c> holding <c>PollInterval</c> and <c>BatchSize</c>).
    /// </summary>
    /// <param name="services">The service collection, with a store and a dispatch loop registered.</param>
    /// <param name="configuration">The section holding the relay's settings.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddOutboxRelayToDispatchLoop(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddOutboxRelay(DeliverToDispatchLoop, configuration);
    }

    private static Func<object, CancellationToken, ValueTask> DeliverToDispatchLoop(IServiceProvider provider)
    {
        var loop = provider.GetRequiredService<EventDispatchLoop>();
        return (@event, cancellationToken) => loop.EnqueueAsync(@event, cancellationToken);
    }

    /// <summary>
    /// Runs an <see cref="OutboxRelay"/> with the host that hands the store's outbox events to a delivery of your
    /// choice, for example a broker publisher that waits for the broker's confirm:
    /// <c>p => { var broker = p.GetRequiredService&lt;IBrokerPublisher&gt;(); return async (e, ct) => { await broker.PublishAsync(e, ct); }; }</c>.
    /// Its settings are the <see cref="OutboxRelayOptions"/> of the options pipeline: <paramref name="configure"/>,
    /// every <c>services.Configure&lt;OutboxRelayOptions&gt;(…)</c> and any configuration bound to them, validated
    /// when the host starts.
    /// </summary>
    /// <param name="services">The service collection, with a store registered.</param>
    /// <param name="deliver">Builds the delivery from the services; it must return only once the event is safely taken.</param>
    /// <param name="configure">Sets the relay's options.</param>
    /// <returns>The service collection, for chaining.</returns>
#pragma warning disable RS0027 // The configuration overload's third parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddOutboxRelay(
        this IServiceCollection services, Func<IServiceProvider, Func<object, CancellationToken, ValueTask>> deliver, Action<OutboxRelayOptions>? configure = null)
#pragma warning restore RS0027
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(deliver);
        ValidatedOptions.Add<OutboxRelayOptions, OutboxRelayOptionsValidator>(services, Options.Options.DefaultName, configure);
        services.TryAddSingleton(provider => new OutboxRelay(
            RequiredStore.Get(provider, "AddOutboxRelay()"),
            deliver(provider),
            provider.GetRequiredService<IOptions<OutboxRelayOptions>>().Value));
        services.AddHostedService(static provider => provider.GetRequiredService<OutboxRelay>());
        return services;
    }

    /// <summary>
    /// Runs the <see cref="OutboxRelay"/> as <see cref="AddOutboxRelay(IServiceCollection, Func{IServiceProvider, Func{object, CancellationToken, ValueTask}}, Action{OutboxRelayOptions}?)"/>
    /// does, with its options bound from <paramref name="configuration"/> (<c>PollInterval</c>, <c>BatchSize</c>).
    /// </summary>
    /// <param name="services">The service collection, with a store registered.</param>
    /// <param name="deliver">Builds the delivery from the services; it must return only once the event is safely taken.</param>
    /// <param name="configuration">The section holding the relay's settings.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddOutboxRelay(
        this IServiceCollection services, Func<IServiceProvider, Func<object, CancellationToken, ValueTask>> deliver, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(deliver);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OutboxRelayOptions>().Bind(configuration);
        return services.AddOutboxRelay(deliver);
    }

    /// <summary>
    /// The backends' registration: the store singleton, its outbox, and the host that initializes it. Its settings
    /// are the <see cref="DurableStoreOptions"/> of the options pipeline: <paramref name="configuration"/> first, then
    /// <paramref name="configure"/> and every <c>services.Configure&lt;DurableStoreOptions&gt;(…)</c>, validated when
    /// the host starts.
    /// </summary>
    internal static IServiceCollection AddDurableStore(
        this IServiceCollection services, Func<DurableStoreOptions, DurableStore> create, IConfiguration? configuration, Action<DurableStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        // One store per container: a second registration would otherwise be dropped without a word (TryAdd), and the
        // app would run on the first one's database and settings.
        if (services.Any(static d => d.ServiceType == typeof(DurableStore)))
        {
            throw new InvalidOperationException(
                "A durable store is already registered (AddSqliteStore or AddPostgreSqlStore is called once per service collection); its settings go in that call's delegate or in services.Configure<DurableStoreOptions>(...).");
        }
        if (configuration is not null)
        {
            services.AddOptions<DurableStoreOptions>().Configure(options => DurableStoreConfiguration.Apply(configuration, options));
        }
        ValidatedOptions.Add<DurableStoreOptions, DurableStoreOptionsValidator>(services, Options.Options.DefaultName, configure);
        services.TryAddSingleton(provider =>
        {
            var resolved = provider.GetRequiredService<IOptions<DurableStoreOptions>>().Value.Clone();
            resolved.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            resolved.TimeProvider ??= provider.GetService<TimeProvider>();
            var store = create(resolved);
            if (provider.GetService<EventDispatcherBase>() is { } dispatcher)
            {
                store.UseDispatcher(dispatcher);
            }
            return store;
        });
        services.TryAddSingleton(static provider => provider.GetRequiredService<DurableStore>().Outbox);
        services.TryAddSingleton(static provider => provider.GetRequiredService<DurableStore>().DeadLetters);
        // First among the durable hosted services: the schema is ready before the loop recovers or the relay polls.
        services.AddHostedService(static provider => new DurableStoreHost(provider.GetRequiredService<DurableStore>()));
        return services;
    }
}
