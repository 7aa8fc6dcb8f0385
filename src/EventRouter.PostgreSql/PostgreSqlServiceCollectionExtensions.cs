using System;
using EventRouter.Durability;
using EventRouter.PostgreSql;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a durable store over a PostgreSQL database.</summary>
public static class PostgreSqlServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="DurableStore"/> singleton over a PostgreSQL database, its
    /// <see cref="TransactionalOutbox"/> and <see cref="DurableDeadLetters"/>, and a hosted service that creates or
    /// migrates the schema when the host starts (a server that is down fails the start with a clear error).
    /// Follow with <c>AddDurableDispatchLoop</c> and/or <c>AddOutboxRelayToDispatchLoop</c>.
    /// The settings are the <see cref="DurableStoreOptions"/> of the options pipeline: <paramref name="configure"/> and
    /// every <c>services.Configure&lt;DurableStoreOptions&gt;(…)</c>, validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="configure">Sets the store's options; give every instance its own <see cref="DurableStoreOptions.InstanceName"/>.</param>
    /// <returns>The service collection, for chaining.</returns>
#pragma warning disable RS0027 // The configuration overload's third parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddPostgreSqlStore(this IServiceCollection services, string connectionString, Action<DurableStoreOptions>? configure = null)
#pragma warning restore RS0027
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return services.AddDurableStore(options => PostgreSqlStore.Create(connectionString, options), configuration: null, configure);
    }

    /// <summary>
    /// Registers the store as <see cref="AddPostgreSqlStore(IServiceCollection, string, Action{DurableStoreOptions}?)"/>
    /// does, with its settings bound from <paramref name="configuration"/> first (for example
    /// <c>builder.Configuration.GetSection("EventRouter:Store")</c> holding <c>InstanceName</c>, <c>InboxRetention</c>,
    /// <c>SentOutboxRetention</c>, <c>CleanupInterval</c> and <c>MaxBatchSize</c>); <paramref name="configure"/> then
    /// sets what configuration cannot (the JSON context, event types, clock, logger factory).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">An Npgsql connection string, for example <c>builder.Configuration.GetConnectionString("Store")</c>.</param>
    /// <param name="configuration">The section holding the store's settings.</param>
    /// <param name="configure">Sets the rest of the options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddPostgreSqlStore(this IServiceCollection services, string connectionString, IConfiguration configuration, Action<DurableStoreOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddDurableStore(options => PostgreSqlStore.Create(connectionString, options), configuration, configure);
    }
}
