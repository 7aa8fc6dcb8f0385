using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Durability;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

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
    public static IServiceCollection AddDurableDispatchLoop(this IServiceCollection services, Action<DispatchLoopOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IDispatchLoopJournal>(static provider => RequiredStore.Get(provider, "AddDurableDispatchLoop()").Journal);
        services.TryAddSingleton<IDeadLetterSink>(static provider => RequiredStore.Get(provider, "AddDurableDispatchLoop()").DeadLetters);
        services.TryAddSingleton<IIdempotencyStore>(static provider => RequiredStore.Get(provider, "AddDurableDispatchLoop()").Inbox);
        return services.AddEventDispatchLoop(configure);
    }

    /// <summary>
    /// Runs an <see cref="OutboxRelay"/> with the host that delivers the store's outbox events into the
    /// <see cref="EventDispatchLoop"/> in DI (durable with <see cref="AddDurableDispatchLoop"/>: an event is marked
    /// sent only once the loop stored it).
    /// </summary>
    /// <param name="services">The service collection, with a store and a dispatch loop registered.</param>
    /// <param name="configure">Sets the relay's options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddOutboxRelayToDispatchLoop(this IServiceCollection services, Action<OutboxRelayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddOutboxRelay(
            static provider =>
            {
                var loop = provider.GetRequiredService<EventDispatchLoop>();
                return (@event, cancellationToken) => loop.EnqueueAsync(@event, cancellationToken);
            },
            configure);
    }

    /// <summary>
    /// Runs an <see cref="OutboxRelay"/> with the host that hands the store's outbox events to a delivery of your
    /// choice, for example a broker publisher that waits for the broker's confirm:
    /// <c>p => { var broker = p.GetRequiredService&lt;IBrokerPublisher&gt;(); return async (e, ct) => { await broker.PublishAsync(e, ct); }; }</c>.
    /// </summary>
    /// <param name="services">The service collection, with a store registered.</param>
    /// <param name="deliver">Builds the delivery from the services; it must return only once the event is safely taken.</param>
    /// <param name="configure">Sets the relay's options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddOutboxRelay(
        this IServiceCollection services, Func<IServiceProvider, Func<object, CancellationToken, ValueTask>> deliver, Action<OutboxRelayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(deliver);
        var options = new OutboxRelayOptions();
        configure?.Invoke(options);
        options.Validate(); // fail at registration, not at first resolve
        services.TryAddSingleton(provider => new OutboxRelay(RequiredStore.Get(provider, "AddOutboxRelay()"), deliver(provider), options));
        services.AddHostedService(static provider => provider.GetRequiredService<OutboxRelay>());
        return services;
    }

    /// <summary>The backends' registration: the store singleton, its outbox, and the host that initializes it.</summary>
    internal static IServiceCollection AddDurableStore(
        this IServiceCollection services, Func<DurableStoreOptions, DurableStore> create, Action<DurableStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        // One store per container: a second registration would otherwise be dropped without a word (TryAdd), and the
        // app would run on the first one's database and settings.
        if (services.Any(static d => d.ServiceType == typeof(DurableStore)))
        {
            throw new InvalidOperationException(
                "A durable store is already registered (AddSqliteStore or AddPostgreSqlStore is called once per service collection); its settings go in that call's delegate.");
        }
        var options = new DurableStoreOptions();
        configure?.Invoke(options);
        options.Validate(); // fail at registration, not at first resolve
        services.TryAddSingleton(provider =>
        {
            var resolved = options.Clone();
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
