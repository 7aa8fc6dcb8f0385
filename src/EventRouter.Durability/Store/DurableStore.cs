using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventRouter.Durability;

/// <summary>
/// A database that keeps EventRouter's state across crashes: the inbox (which listeners completed which events), the
/// transactional outbox, and the durable dispatch loop's accepted events and dead letters. Create one per database
/// and process with a backend package (<c>SqliteStore.Create</c>, <c>PostgreSqlStore.Create</c>) and share it.
/// </summary>
/// <remarks>
/// The schema is created or migrated by <see cref="InitializeAsync"/> (also run by the first operation that needs
/// it). It is versioned: a database whose schema was written by a newer version of this library is refused with a
/// <see cref="DurableSchemaException"/> and left untouched. Writes of this process go through one writer that
/// commits concurrent writes together (group commit).
/// </remarks>
public sealed class DurableStore : IAsyncDisposable, IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private Task? _initialized;
    private EventDispatcherBase? _dispatcher;
    private int _disposed;
    private readonly long _telemetry;
    private (DurableStoreStatus Status, long At)? _status;
    private int _refreshing;

    internal DurableStore(DurableBackend backend, DurableStoreOptions? options)
    {
        options = options?.Clone() ?? new DurableStoreOptions();
        options.Validate();
        Backend = backend;
        Options = options;
        _time = options.TimeProvider ?? TimeProvider.System;
        Logger = options.LoggerFactory?.CreateLogger("EventRouter.Durability") ?? NullLogger.Instance;
        Writer = new GroupCommitWriter(this, options.MaxBatchSize);
        Codec = new EventCodec(options.JsonContext, options.EventTypes);
        Inbox = new DurableInbox(this);
        Outbox = new TransactionalOutbox(this);
        DeadLetters = new DurableDeadLetters(this);
        Journal = new DurableJournal(this);
        _telemetry = DurabilityTelemetry.Register(this);
    }

    /// <summary>The schema version this library writes (and the newest it can read).</summary>
    public int SchemaVersion => Backend.Sql.Migrations.Count;

    /// <summary>The durable inbox: an <see cref="DispatchLoop.IIdempotencyStore"/> over this database.</summary>
    public DurableInbox Inbox { get; }

    /// <summary>The transactional outbox: events stored in the application's own transactions, sent by an <see cref="OutboxRelay"/> after commit.</summary>
    public TransactionalOutbox Outbox { get; }

    /// <summary>The dead letters kept in the database: the sink of a durable dispatch loop, with reading and replay.</summary>
    public DurableDeadLetters DeadLetters { get; }

    /// <summary>
    /// The journal of a durable dispatch loop (<see cref="DispatchLoop.DispatchLoopOptions.Journal"/>): the events it
    /// accepted and not finished, owned by <see cref="DurableStoreOptions.InstanceName"/>.
    /// </summary>
    public DispatchLoop.IDispatchLoopJournal Journal { get; }

    /// <summary>The number of events this instance's durable dispatch loop accepted and has not finished.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The count.</returns>
    public Task<long> PendingEventsAsync(CancellationToken cancellationToken = default) => ((DurableJournal)Journal).PendingCountAsync(cancellationToken);

    /// <summary>The number of transactions the store's writer committed (each is one disk flush on a durable database).</summary>
    public long Commits => Writer.Commits;

    /// <summary>
    /// Reads what the store holds now, in one query: this instance's pending events, the unsent outbox events and how
    /// long the oldest has waited (the relay's lag), and the dead letters. The health check reports it, and the
    /// store's gauges report the last one read.
    /// </summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The status.</returns>
    /// <exception cref="DurableStoreException">The database cannot be read.</exception>
    public async Task<DurableStoreStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var sql = Backend.Sql.Status;
        var owner = Options.InstanceName;
        var status = await ReadAsync(
            async (connection, token) =>
            {
                await using var command = Db.Command(connection, null, sql);
                Db.Set(command, "@owner", owner);
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.ReadAsync(token).ConfigureAwait(false);
                var oldest = reader.IsDBNull(2) ? (long?)null : Convert.ToInt64(reader.GetValue(2));
                var lag = oldest is { } created ? TimeSpan.FromMilliseconds(Math.Max(0, Now - created)) : TimeSpan.Zero;
                return new DurableStoreStatus(Convert.ToInt64(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1)), lag, Convert.ToInt64(reader.GetValue(3)));
            },
            "read its status",
            cancellationToken).ConfigureAwait(false);
        _status = (status, _time.GetTimestamp());
        return status;
    }

    /// <summary>The last status read, for the gauges; reads it again in the background when it is old (or missing).</summary>
    internal DurableStoreStatus? ObservedStatus()
    {
        var last = _status;
        if ((last is null || _time.GetElapsedTime(last.Value.At) > DurabilityTelemetry.RefreshAfter)
            && Volatile.Read(ref _disposed) == 0 && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = RefreshStatusAsync();
        }
        return last?.Status;
    }

    private async Task RefreshStatusAsync()
    {
        try
        {
            await GetStatusAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The gauges keep the last value; the health check reports the failure.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    internal DurableBackend Backend { get; }

    internal EventCodec Codec { get; }

    internal DurableStoreOptions Options { get; }

    internal ILogger Logger { get; }

    internal GroupCommitWriter Writer { get; }

    /// <summary>Now, as the Unix milliseconds the tables store.</summary>
    internal long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    internal TimeProvider Time => _time;

    /// <summary>
    /// Creates the schema, or migrates it to <see cref="SchemaVersion"/>, in one transaction (concurrent instances
    /// wait for each other). Runs once per store; after a failure, the next call tries again.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the migration itself carries on).</param>
    /// <exception cref="DurableSchemaException">The database's schema is newer than this library.</exception>
    /// <exception cref="DurableStoreException">The database cannot be reached or failed.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        var initialized = _initialized;
        if (initialized is { IsCompletedSuccessfully: true })
        {
            return initialized;
        }
        lock (_gate)
        {
            if (_initialized is null || _initialized.IsFaulted || _initialized.IsCanceled)
            {
                _initialized = MigrateAsync();
            }
            return _initialized.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Lets the store read back the events of a dispatcher (it maps stored event names to their types) and read
    /// their ids through its routes (<see cref="EventIdAttribute"/> members). Done by the DI registration; call it
    /// when you create the store yourself and relay or recover events of that dispatcher.
    /// </summary>
    /// <param name="dispatcher">The generated dispatcher.</param>
    public void UseDispatcher(EventDispatcherBase dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        Codec.Learn(dispatcher.Routes);
        Volatile.Write(ref _dispatcher, dispatcher);
    }

    /// <summary>The event's route when a dispatcher is known (it reads [EventId] members).</summary>
    internal EventRoute? RouteOf(Type eventType) => Volatile.Read(ref _dispatcher)?.GetRoute(eventType);

    /// <summary>
    /// Deletes what retention lets go: inbox entries older than <see cref="DurableStoreOptions.InboxRetention"/> and
    /// outbox events sent longer than <see cref="DurableStoreOptions.SentOutboxRetention"/> ago.
    /// </summary>
    /// <param name="cancellationToken">Cancels the cleanup.</param>
    /// <returns>The number of rows deleted.</returns>
    public async Task<int> CleanupAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var inboxBefore = (now - Options.InboxRetention).ToUnixTimeMilliseconds();
        var outboxBefore = (now - Options.SentOutboxRetention).ToUnixTimeMilliseconds();
        var sql = Backend.Sql;
        return (int)await Writer.WriteAsync(new CleanupOperation(sql, inboxBefore, outboxBefore)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the writes already queued, then closes the store's connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        DurabilityTelemetry.Unregister(_telemetry);
        await Writer.DisposeAsync().ConfigureAwait(false);
        await Backend.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Disposes the store, blocking until the queued writes are committed (for containers that dispose synchronously).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override string ToString() => $"{Backend.Name} store at {Backend.Target}";

    /// <summary>
    /// Work inside an application's own transaction needs the schema already there: migrating then, on another
    /// connection, would wait for the lock that very transaction may hold (SQLite has one write lock per file).
    /// </summary>
    internal void ThrowIfNotInitialized()
    {
        var initialized = _initialized;
        if (initialized is { IsCompletedSuccessfully: true })
        {
            return;
        }
        if (initialized is { IsFaulted: true })
        {
            throw Failure(initialized.Exception!.InnerException!, "open its schema");
        }
        throw new InvalidOperationException(
            $"The {this} is not initialized: await its InitializeAsync() at startup (the hosted store registered by AddDurableStore does) before using it inside your own transactions.");
    }

    /// <summary>Runs a read on a pooled connection of its own, after the schema is ready.</summary>
    internal async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, string what, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await Backend.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await read(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Failure(ex, what);
        }
    }

    /// <summary>The error a caller sees: what failed, where, and whether trying again may help.</summary>
    internal Exception Failure(Exception exception, string what) => exception switch
    {
        DurableStoreException or DurableSchemaException => exception,
        _ => new DurableStoreException($"The {this} could not {what}: {exception.Message}", exception) { IsTransient = Backend.IsTransient(exception) },
    };

    private async Task MigrateAsync()
    {
        var sql = Backend.Sql;
        try
        {
            await using var connection = await Backend.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            await using var transaction = await Backend.BeginWriteAsync(connection, CancellationToken.None).ConfigureAwait(false);
            if (sql.LockSchema.Length > 0)
            {
                await Db.ExecuteAsync(connection, transaction, sql.LockSchema, CancellationToken.None).ConfigureAwait(false);
            }
            await Db.ExecuteAsync(connection, transaction, sql.CreateSchemaTable, CancellationToken.None).ConfigureAwait(false);
            int found;
            await using (var read = Db.Command(connection, transaction, sql.ReadSchemaVersion))
            {
                found = (int)Db.ToLong(await read.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false));
            }
            if (found > SchemaVersion)
            {
                throw new DurableSchemaException(Backend.Name, Backend.Target, found, SchemaVersion);
            }
            for (var step = found; step < SchemaVersion; step++)
            {
                await Db.ExecuteAsync(connection, transaction, sql.Migrations[step], CancellationToken.None).ConfigureAwait(false);
            }
            if (found < SchemaVersion)
            {
                await using var write = Db.Command(connection, transaction, sql.WriteSchemaVersion);
                Db.Set(write, "@version", SchemaVersion);
                await write.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            if (found < SchemaVersion)
            {
                DurabilityLog.SchemaMigrated(Logger, ToString(), found, SchemaVersion);
            }
        }
        catch (Exception ex)
        {
            var failure = Failure(ex, "open its schema");
            DurabilityLog.SchemaFailed(Logger, failure, ToString());
            throw failure;
        }
    }

    private sealed class CleanupOperation(DurableSql sql, long inboxBefore, long outboxBefore) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var inbox = batch.Command(sql.InboxCleanup);
            Db.Set(inbox, "@before", inboxBefore);
            var deleted = await inbox.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            var outbox = batch.Command(sql.OutboxCleanup);
            Db.Set(outbox, "@before", outboxBefore);
            return deleted + await outbox.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
