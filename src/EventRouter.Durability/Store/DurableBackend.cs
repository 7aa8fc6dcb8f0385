using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Durability;

/// <summary>
/// One database product under the store: how to open a connection, how to begin a write, its SQL, and which of its
/// errors mean "try again later". Implemented by the backend packages (EventRouter.Sqlite, EventRouter.PostgreSql).
/// </summary>
internal abstract class DurableBackend : IAsyncDisposable
{
    /// <summary>The product, for messages: "SQLite", "PostgreSQL".</summary>
    public abstract string Name { get; }

    /// <summary>Where the data lives, for messages (a file path, or host, port and database; never a password).</summary>
    public abstract string Target { get; }

    /// <summary>The backend's statements.</summary>
    public abstract DurableSql Sql { get; }

    /// <summary>
    /// True when <see cref="DurableSql.OutboxClaim"/> locks the rows it returns until the claiming transaction ends
    /// (other relays skip them), so a relay can deliver inside that transaction. False (SQLite): the relay reads
    /// without a transaction, so that it never holds the file's only write lock while it delivers.
    /// </summary>
    public abstract bool LocksClaimedRows { get; }

    /// <summary>Opens a connection, configured for the store.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction that will write (SQLite takes the write lock at once, so it never upgrades a read lock and deadlocks).</summary>
    public virtual ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection.BeginTransactionAsync(cancellationToken);

    /// <summary>True for a failure worth retrying: the database is busy or locked, or the server cannot be reached now.</summary>
    public abstract bool IsTransient(Exception exception);

    /// <summary>Releases pooled connections.</summary>
    public virtual ValueTask DisposeAsync() => default;
}
