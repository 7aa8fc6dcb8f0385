using System;
using EventRouter.Durability;
using EventRouter.PostgreSql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a durable store over a PostgreSQL database.</summary>
public static class PostgreSqlServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="DurableStore"/> singleton over a PostgreSQL database, its
    /// <see cref="TransactionalOutbox"/> and <see cref="DurableDeadLetters"/>, and a hosted service that creates or
    /// migrates the schema when the host starts (a server that is down fails the start with a clear error).
    /// Follow with <c>AddDurableDispatchLoop</c> and/or <c>AddOutboxRelayToDispatchLoop</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="configure">Sets the store's options; give every instance its own <see cref="DurableStoreOptions.InstanceName"/>.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddPostgreSqlStore(this IServiceCollection services, string connectionString, Action<DurableStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return services.AddDurableStore(options => PostgreSqlStore.Create(connectionString, options), configure);
    }
}
