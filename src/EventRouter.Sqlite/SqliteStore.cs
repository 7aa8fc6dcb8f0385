using EventRouter.Durability;

namespace EventRouter.Sqlite;

/// <summary>Creates durable stores over SQLite database files (Microsoft.Data.Sqlite): the embedded default, no server needed.</summary>
public static class SqliteStore
{
    /// <summary>
    /// Creates a store over a SQLite file (created when missing, switched to WAL mode). Nothing is opened until the
    /// first operation or <see cref="DurableStore.InitializeAsync"/>. Create one per file and process and share it:
    /// the store is the process's single writer to the file.
    /// </summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, e.g. <c>Data Source=app.db</c>. <c>Default Timeout</c> sets how long a write waits for a lock held by another process (default 30 s).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>The store; dispose it when done.</returns>
    public static DurableStore Create(string connectionString, DurableStoreOptions? options = null) =>
        new(new SqliteBackend(connectionString), options);
}
