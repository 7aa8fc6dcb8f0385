using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Durability;

/// <summary>
/// The transactional outbox: publishes an event atomically with the application's own database change. The event
/// is stored in the caller's transaction; an <see cref="OutboxRelay"/> delivers it after that transaction commits,
/// and marks it sent only once the delivery succeeded. Rolled back: the event never existed. Committed: it is
/// delivered at least once, even across crashes (give it an id and use the inbox for exactly-once handling).
/// </summary>
public sealed class TransactionalOutbox
{
    private readonly DurableStore _store;

    internal TransactionalOutbox(DurableStore store) => _store = store;

    /// <summary>
    /// Stores <paramref name="event"/> in <paramref name="transaction"/>, to be sent after it commits. The store
    /// must be initialized first (<see cref="DurableStore.InitializeAsync"/>, done at startup by the hosted store).
    /// </summary>
    /// <typeparam name="TEvent">The event type; its runtime type is what is serialized.</typeparam>
    /// <param name="event">The event; <see cref="DurableStoreOptions.JsonContext"/> must serialize its type.</param>
    /// <param name="transaction">The caller's open transaction on a connection to the store's database.</param>
    /// <param name="cancellationToken">Cancels the insert (the caller then rolls back).</param>
    /// <exception cref="InvalidOperationException">The store was not initialized, or the JSON context cannot serialize the event.</exception>
    public async Task PublishAsync<TEvent>(TEvent @event, DbTransaction transaction, CancellationToken cancellationToken = default)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(transaction);
        var connection = transaction.Connection ?? throw new ArgumentException("The transaction has no connection (was it committed or rolled back?).", nameof(transaction));
        _store.ThrowIfNotInitialized();
        var (name, id, payload) = _store.Codec.Encode(@event, _store.RouteOf(@event.GetType()));
        await using var command = Db.Command(connection, transaction, _store.Backend.Sql.OutboxInsert);
        Db.Set(command, "@event_name", name);
        Db.Set(command, "@event_id", id);
        Db.Set(command, "@payload", payload);
        Db.Set(command, "@at", _store.Now);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The number of committed events not sent yet.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The count.</returns>
    public Task<long> PendingCountAsync(CancellationToken cancellationToken = default)
    {
        var sql = _store.Backend.Sql.OutboxPendingCount;
        return _store.ReadAsync(
            async (connection, token) =>
            {
                await using var command = Db.Command(connection, null, sql);
                return Db.ToLong(await command.ExecuteScalarAsync(token).ConfigureAwait(false));
            },
            "count the outbox",
            cancellationToken);
    }
}
