using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Durability;
using Microsoft.Data.Sqlite;

namespace EventRouter.Sqlite;

/// <summary>A SQLite database file in WAL mode: readers never block the writer, one writer at a time.</summary>
internal sealed class SqliteBackend : DurableBackend
{
    private readonly string _connectionString;
    private int _walChecked;

    public SqliteBackend(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:")
        {
            throw new ArgumentException("A durable SQLite store needs a database file (Data Source=path), not an in-memory database.", nameof(connectionString));
        }
        Target = builder.DataSource;
        _connectionString = builder.ToString();
    }

    public override string Name => "SQLite";

    public override string Target { get; }

    public override bool LocksClaimedRows => false;

    public override DurableSql Sql => SqliteSql.Statements;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _walChecked) == 0)
            {
                // WAL is a property of the file (it persists): set once per process, outside any transaction.
                await Db.ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _walChecked, 1);
            }
            // Per connection: a commit is flushed to disk before it is acknowledged (durable across power loss too).
            await Db.ExecuteAsync(connection, null, "PRAGMA synchronous = FULL", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // BEGIN IMMEDIATE: take the write lock now rather than upgrade a read lock later (which can fail with
        // SQLITE_BUSY without waiting).
        new(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override bool IsTransient(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 }; // SQLITE_BUSY, SQLITE_LOCKED
}
