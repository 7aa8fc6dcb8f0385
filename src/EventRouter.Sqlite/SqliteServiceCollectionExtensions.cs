using System;
using EventRouter.Durability;
using EventRouter.Sqlite;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a durable store over a SQLite file.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="DurableStore"/> singleton over a SQLite file, its <see cref="TransactionalOutbox"/> and
    /// <see cref="DurableDeadLetters"/>, and a hosted service that creates or migrates the schema when the host
    /// starts. Follow with <c>AddDurableDispatchLoop</c> and/or <c>AddOutboxRelayToDispatchLoop</c>.
    /// The settings are the <see cref="DurableStoreOptions"/> of the options pipeline: <paramref name="configure"/> and
    /// every <c>services.Configure&lt;DurableStoreOptions&gt;(…)</c>, validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, e.g. <c>Data Source=app.db</c>.</param>
    /// <param name="configure">Sets the store's options (its JSON context, above all).</param>
    /// <returns>The service collection, for chaining.</returns>
#pragma warning disable RS0027 // The configuration overload's third parameter has another type, so a call never binds to the wrong one.
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, string connectionString, Action<DurableStoreOptions>? configure = null)
#pragma warning restore RS0027
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _ = new SqliteBackend(connectionString); // a bad connection string fails here, at registration
        return services.AddDurableStore(options => SqliteStore.Create(connectionString, options), configuration: null, configure);
    }

    /// <summary>
    /// Registers the store as <see cref="AddSqliteStore(IServiceCollection, string, Action{DurableStoreOptions}?)"/>
    /// does, with its settings bound from <paramref name="configuration"/> first (for example
    /// <c>builder.Configuration.GetSection("EventRouter:Store")</c> holding <c>InstanceName</c>, <c>InboxRetention</c>,
    /// <c>SentOutboxRetention</c>, <c>CleanupInterval</c> and <c>MaxBatchSize</c>); <paramref name="configure"/> then
    /// sets what configuration cannot (the JSON context, event types, clock, logger factory).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, for example <c>builder.Configuration.GetConnectionString("Store")</c>.</param>
    /// <param name="configuration">The section holding the store's settings.</param>
    /// <param name="configure">Sets the rest of the options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, string connectionString, IConfiguration configuration, Action<DurableStoreOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        _ = new SqliteBackend(connectionString);
        return services.AddDurableStore(options => SqliteStore.Create(connectionString, options), configuration, configure);
    }
}
