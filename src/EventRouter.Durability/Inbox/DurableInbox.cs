using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Durability;

/// <summary>
/// The durable inbox: remembers, in the store's database, which listener completed which event id, so a
/// redelivered or replayed event does not run a completed listener again — across restarts and processes. Entries
/// are kept for <see cref="DurableStoreOptions.InboxRetention"/> (deleted by <see cref="DurableStore.CleanupAsync"/>).
/// </summary>
/// <remarks>
/// As an <see cref="IIdempotencyStore"/> it records a completion after the listener ran: a crash between the two
/// runs the listener again (at least once). For exactly once, a listener that writes to the same database records
/// its completion in its own transaction with <see cref="TryMarkCompletedAsync"/>: the work and the record then
/// commit together or not at all.
/// </remarks>
public sealed class DurableInbox : IIdempotencyStore
{
    private readonly DurableStore _store;

    internal DurableInbox(DurableStore store) => _store = store;

    /// <inheritdoc />
    public async ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        ArgumentNullException.ThrowIfNull(listenerName);
        var sql = _store.Backend.Sql.InboxIsCompleted;
        return await _store.ReadAsync(
            async (connection, token) =>
            {
                await using var command = Db.Command(connection, null, sql);
                Db.Set(command, "@event_id", eventId);
                Db.Set(command, "@listener", listenerName);
                return await command.ExecuteScalarAsync(token).ConfigureAwait(false) is not (null or DBNull);
            },
            "read the inbox",
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Committed together with the other writes waiting at the same time (group commit).</remarks>
    public async ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        ArgumentNullException.ThrowIfNull(listenerName);
        await _store.Writer.WriteAsync(new MarkOperation(_store.Backend.Sql.InboxMarkCompleted, eventId, listenerName, _store.Now))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records, inside the caller's own transaction on the store's database, that <paramref name="listenerName"/>
    /// completed <paramref name="eventId"/>. Returns false when it already had: skip the work (and commit or roll
    /// back, nothing was written). The record commits with the caller's transaction, so the work it guards happens
    /// exactly once; a concurrent transaction recording the same pair waits for this one.
    /// </summary>
    /// <param name="transaction">An open transaction on a connection to the store's database.</param>
    /// <param name="eventId">The event's id.</param>
    /// <param name="listenerName">The listener's <see cref="ListenerInfo.Name"/> (or any stable name of the work).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>True when this transaction recorded the completion; false when it was recorded before.</returns>
    /// <exception cref="InvalidOperationException">The store was not initialized (see <see cref="DurableStore.InitializeAsync"/>).</exception>
    public async Task<bool> TryMarkCompletedAsync(DbTransaction transaction, string eventId, string listenerName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(eventId);
        ArgumentNullException.ThrowIfNull(listenerName);
        var connection = transaction.Connection ?? throw new ArgumentException("The transaction has no connection (was it committed or rolled back?).", nameof(transaction));
        _store.ThrowIfNotInitialized();
        await using var command = Db.Command(connection, transaction, _store.Backend.Sql.InboxMarkCompleted);
        Db.Set(command, "@event_id", eventId);
        Db.Set(command, "@listener", listenerName);
        Db.Set(command, "@at", _store.Now);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private sealed class MarkOperation(string sql, string eventId, string listener, long at) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var command = batch.Command(sql);
            Db.Set(command, "@event_id", eventId);
            Db.Set(command, "@listener", listener);
            Db.Set(command, "@at", at);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
