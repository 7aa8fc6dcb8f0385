using System;
using EventRouter.Durability;
using EventRouter.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a durable store over a SQLite file.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="DurableStore"/> singleton over a SQLite file, its <see cref="TransactionalOutbox"/> and
    /// <see cref="DurableDeadLetters"/>, and a hosted service that creates or migrates the schema when the host
    /// starts. Follow with <c>AddDurableDispatchLoop</c> and/or <c>AddOutboxRelayToDispatchLoop</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, e.g. <c>Data Source=app.db</c>.</param>
    /// <param name="configure">Sets the store's options (its JSON context, above all).</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, string connectionString, Action<DurableStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _ = new SqliteBackend(connectionString); // a bad connection string fails here, at registration
        return services.AddDurableStore(options => SqliteStore.Create(connectionString, options), configure);
    }
}
