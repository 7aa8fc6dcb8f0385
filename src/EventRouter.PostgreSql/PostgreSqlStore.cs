using System;
using EventRouter.Durability;
using Npgsql;

namespace EventRouter.PostgreSql;

/// <summary>Creates durable stores over PostgreSQL (Npgsql): several instances share one database.</summary>
public static class PostgreSqlStore
{
    /// <summary>
    /// Creates a store over a PostgreSQL database. Nothing is opened until the first operation or
    /// <see cref="DurableStore.InitializeAsync"/>. Create one per database and process and share it.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=app;Username=app;Password=…</c>.</param>
    /// <param name="options">Settings; defaults when null. Give every instance sharing the database its own <see cref="DurableStoreOptions.InstanceName"/>.</param>
    /// <returns>The store; disposing it also disposes the data source it created.</returns>
    public static DurableStore Create(string connectionString, DurableStoreOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        // The slim builder: no reflection-based type mapping, so the store stays trimmable and AOT-compatible.
        var dataSource = new NpgsqlSlimDataSourceBuilder(connectionString).Build();
        return new DurableStore(new PostgreSqlBackend(dataSource, ownsDataSource: true), options);
    }

    /// <summary>Creates a store over an existing Npgsql data source (its pool and settings are shared with the application).</summary>
    /// <param name="dataSource">The data source; the store does not dispose it.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>The store.</returns>
    public static DurableStore Create(NpgsqlDataSource dataSource, DurableStoreOptions? options)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return new DurableStore(new PostgreSqlBackend(dataSource, ownsDataSource: false), options);
    }
}
